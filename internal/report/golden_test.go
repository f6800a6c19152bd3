package report_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codeyard/codeyard/internal/report"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// separator divides a golden file into the report file and the expected
// output.
const separator = "\n----------\n"

// golden is one golden file: testdata/golden/<FORMAT>/<name>.txt holds a
// report file named <name> of that format, then the expected output.
type golden struct {
	path   string // of the golden file
	format string
	name   string // of the report file: the golden file's name without .txt
	input  []byte
	want   string
}

func goldenFiles(t testing.TB) []golden {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "golden", "*", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no golden files in testdata/golden")
	}
	var files []golden
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		input, want, ok := bytes.Cut(data, []byte(separator))
		if !ok {
			input, want = data, nil
		}
		files = append(files, golden{
			path:   p,
			format: filepath.Base(filepath.Dir(p)),
			name:   strings.TrimSuffix(filepath.Base(p), ".txt"),
			input:  input,
			want:   string(want),
		})
	}
	return files
}

// render is the output a golden file expects: the error, or the result
// and its summary as indented JSON.
func render(format, name string, input []byte) string {
	res, err := report.Parse(format, bytes.NewReader(input), name)
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	sum, err := report.Summarize(res)
	if err != nil {
		return "summarize error: " + err.Error() + "\n"
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(struct {
		Result  *report.Result  `json:"result"`
		Summary *report.Summary `json:"summary"`
	}{res, sum}); err != nil {
		return fmt.Sprintf("json.Encode: %v\n", err)
	}
	return b.String()
}

// TestGolden parses every golden report file and compares the result and
// summary with the golden output. With -update it rewrites the outputs.
func TestGolden(t *testing.T) {
	t.Parallel()
	for _, g := range goldenFiles(t) {
		t.Run(g.format+"/"+g.name, func(t *testing.T) {
			t.Parallel()
			got := render(g.format, g.name, g.input)
			if *update {
				out := append(append(bytes.Clone(g.input), separator...), got...)
				if err := os.WriteFile(g.path, out, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if diff := cmp.Diff(g.want, got); diff != "" {
				t.Errorf("Parse(%s, %s) mismatch (-want +got):\n%s", g.format, g.path, diff)
			}
		})
	}
}
