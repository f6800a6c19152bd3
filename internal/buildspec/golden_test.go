package buildspec_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codeyard/codeyard/internal/buildspec"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// separator divides a golden file into the buildspec and the expected
// output.
const separator = "\n----------\n"

// render is the output a golden file expects for a buildspec: on failure
// the error line and one line per diagnostic, then one line per warning,
// then the normalized spec as indented JSON.
func render(src []byte) string {
	spec, warns, err := buildspec.Parse(src)
	var b strings.Builder
	if err != nil {
		var e *buildspec.Error
		if !errors.As(err, &e) {
			return fmt.Sprintf("unexpected error type %T: %v\n", err, err)
		}
		fmt.Fprintf(&b, "error: %s\n", e.Error())
		for _, d := range e.Diagnostics {
			fmt.Fprintf(&b, "%s%s\n", position(d), d.Message)
		}
	}
	for _, w := range warns {
		fmt.Fprintf(&b, "%swarning: %s\n", position(w), w.Message)
	}
	if spec != nil {
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		if err := enc.Encode(spec); err != nil {
			return fmt.Sprintf("json.Encode: %v\n", err)
		}
	}
	return b.String()
}

func position(d buildspec.Diagnostic) string {
	if d.Line == 0 {
		return ""
	}
	return fmt.Sprintf("%d:%d: ", d.Line, d.Column)
}

func goldenFiles(t testing.TB) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden files in testdata/golden")
	}
	return files
}

// splitGolden returns the buildspec and the expected output of a golden
// file.
func splitGolden(t testing.TB, file string) (input []byte, want string) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	in, out, ok := bytes.Cut(data, []byte(separator))
	if !ok {
		t.Fatalf("%s: no %q line", file, strings.TrimSpace(separator))
	}
	return append(in, '\n'), string(out)
}

func TestGolden(t *testing.T) {
	t.Parallel()
	for _, file := range goldenFiles(t) {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			t.Parallel()
			input, want := splitGolden(t, file)
			got := render(input)
			if *update {
				data := append(input[:len(input)-1], separator...)
				data = append(data, got...)
				if err := os.WriteFile(file, data, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Parse(%s) mismatch (-want +got):\n%s", file, diff)
			}
		})
	}
}
