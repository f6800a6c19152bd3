package artifact_test

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codeyard/codeyard/internal/artifact"
	"github.com/codeyard/codeyard/internal/buildspec"
	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite golden files")

// separator divides a golden file into the buildspec and what Collect
// makes of its artifacts over the sample tree.
const separator = "\n----------\n"

// TestCollectGolden runs each testdata/collect/*.txt buildspec's artifacts
// section (the primary artifact, then each secondary artifact) over the
// sample tree of testdata/tree.txt.
func TestCollectGolden(t *testing.T) {
	t.Parallel()
	src := sampleTree(t)
	files, err := filepath.Glob(filepath.Join("testdata", "collect", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txt"), func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input, want, ok := strings.Cut(string(data), separator)
			if !ok && !*update {
				t.Fatalf("%s: no %q separator", file, strings.TrimSpace(separator))
			}
			got := renderSpec(t, src, input)
			if *update {
				if err := os.WriteFile(file, []byte(input+separator+got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Collect(%s) mismatch (-want +got):\n%s", file, diff)
			}
		})
	}
}

// renderSpec parses a buildspec and renders Collect's result for each of
// its artifacts.
func renderSpec(t *testing.T, src, input string) string {
	t.Helper()
	spec, _, err := buildspec.Parse([]byte(input))
	if err != nil {
		t.Fatalf("buildspec.Parse: %v", err)
	}
	if spec.Artifacts == nil {
		t.Fatal("the buildspec has no artifacts section")
	}
	var b strings.Builder
	b.WriteString("== primary\n")
	renderCollect(&b, src, artifact.Primary(spec.Artifacts))
	for _, s := range spec.Artifacts.Secondary {
		fmt.Fprintf(&b, "== secondary %s\n", s.Identifier)
		renderCollect(&b, src, artifact.Secondary(s))
	}
	return b.String()
}

// renderCollect writes Collect's log lines, then one line per entry: mode,
// size, path in the artifact, then "<- source" when the source (relative to
// src) is elsewhere and "-> target" for a link; then the error, if any.
func renderCollect(b *strings.Builder, src string, sel artifact.Selection) {
	got, err := artifact.Collect(src, sel)
	if got != nil {
		for _, l := range got.Log {
			fmt.Fprintf(b, "%s\n", l)
		}
		b.WriteString("-- entries\n")
		for _, e := range got.Entries {
			fmt.Fprintf(b, "%s %5d %s", e.Mode, e.Size, e.Path)
			if rel := relSource(src, e.Source); rel != e.Path {
				fmt.Fprintf(b, " <- %s", rel)
			}
			if e.Link != "" {
				fmt.Fprintf(b, " -> %s", e.Link)
			}
			b.WriteString("\n")
		}
	}
	switch {
	case errors.Is(err, artifact.ErrNoMatch):
		fmt.Fprintf(b, "-- error: %v (ErrNoMatch)\n", err)
	case err != nil:
		fmt.Fprintf(b, "-- error: %v\n", err)
	}
}

// relSource returns a source path relative to the source directory, or
// marks it as outside.
func relSource(src, source string) string {
	real, err := filepath.EvalSymlinks(src)
	if err != nil {
		return "?" + source
	}
	rel, err := filepath.Rel(real, source)
	if err != nil || !filepath.IsLocal(rel) {
		return "OUTSIDE:" + source
	}
	return filepath.ToSlash(rel)
}
