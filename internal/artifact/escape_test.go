package artifact_test

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codeyard/codeyard/internal/artifact"
	"github.com/google/go-cmp/cmp"
)

// checkInside fails the test when an entry of got could package something
// outside src: a source outside it, an artifact path that leaves the
// artifact, or a followed link.
func checkInside(t testing.TB, src string, got *artifact.Collected) {
	t.Helper()
	if got == nil {
		return
	}
	real, err := filepath.EvalSymlinks(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range got.Entries {
		if e.Path == "." || !fs.ValidPath(e.Path) {
			t.Errorf("entry path %q is not a valid relative path", e.Path)
		}
		rel, err := filepath.Rel(real, e.Source)
		if err != nil || !filepath.IsLocal(rel) && rel != "." {
			t.Errorf("entry %s: source %s is outside %s", e.Path, e.Source, real)
			continue
		}
		if e.Mode&fs.ModeSymlink != 0 {
			target, err := filepath.EvalSymlinks(e.Source)
			if err != nil || !strings.HasPrefix(target+string(filepath.Separator), real+string(filepath.Separator)) {
				t.Errorf("entry %s: link %s -> %s resolves outside %s", e.Path, e.Source, e.Link, real)
			}
			continue
		}
		// Source holds no links: resolving it changes nothing.
		if r, err := filepath.EvalSymlinks(e.Source); err != nil || r != e.Source {
			t.Errorf("entry %s: source %s resolves to %s (%v)", e.Path, e.Source, r, err)
		}
	}
}

// TestCollectEscapes tries to reach outside/secret.txt, next to the source
// directory, every way a buildspec can name it.
func TestCollectEscapes(t *testing.T) {
	t.Parallel()
	src := sampleTree(t)
	outside := filepath.Join(filepath.Dir(src), "outside")
	// A link made by the build with an absolute target, and a directory
	// link nested below a real directory.
	if err := os.Symlink(filepath.Join(outside, "secret.txt"), filepath.Join(src, "abs-secret")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../outside", filepath.Join(src, "dist", "up")); err != nil {
		t.Fatal(err)
	}
	tests := []artifact.Selection{
		{Files: []string{"../outside/secret.txt"}},
		{Files: []string{"../outside/*"}},
		{Files: []string{"../**/*"}},
		{Files: []string{"**/../../outside/*"}},
		{Files: []string{"dist/../../outside/secret.txt"}},
		{Files: []string{filepath.Join(outside, "secret.txt")}},
		{Files: []string{outside + "/*"}},
		{Files: []string{"/**/secret.txt"}},
		{Files: []string{"escape-file", "escape-dir/secret.txt", "escape-dir/*", "escape-abs/passwd"}},
		{Files: []string{"abs-secret", "dist/up/secret.txt", "dist/up/**/*"}},
		{Files: []string{"**/*"}},
		{Files: []string{"**/*"}, EnableSymlinks: true},
		{Files: []string{"**/secret*"}, DiscardPaths: true},
		{Files: []string{"{escape-file,escape-dir/secret.txt,../outside/secret.txt}"}},
		{Files: []string{"*"}, BaseDirectory: ".."},
		{Files: []string{"*"}, BaseDirectory: "../outside"},
		{Files: []string{"*"}, BaseDirectory: outside},
		{Files: []string{"*"}, BaseDirectory: "escape-dir"},
		{Files: []string{"*"}, BaseDirectory: "dist/up"},
		{Files: []string{"*"}, BaseDirectory: "{escape-dir,..}"},
		{Files: []string{"../secret.txt"}, BaseDirectory: "dist"},
		{Files: []string{"**/*"}, BaseDirectory: "lib/loop"},
	}
	for _, sel := range tests {
		got, err := artifact.Collect(src, sel)
		if err != nil && !errors.Is(err, artifact.ErrNoMatch) {
			t.Errorf("Collect(%+v): %v", sel, err)
		}
		checkInside(t, src, got)
		if got == nil {
			continue
		}
		for _, e := range got.Entries {
			if strings.Contains(e.Path, "secret") {
				t.Errorf("Collect(%+v) packages %s from %s", sel, e.Path, e.Source)
			}
		}
		var buf bytes.Buffer
		if err := artifact.WriteZip(&buf, got.Entries); err != nil {
			t.Errorf("WriteZip(Collect(%+v)): %v", sel, err)
		}
		if bytes.Contains(buf.Bytes(), []byte("do not package")) {
			t.Errorf("WriteZip(Collect(%+v)) holds outside/secret.txt", sel)
		}
	}
}

// TestCollectSourceLink collects from a source directory reached through
// a symbolic link, as /tmp is on some hosts.
func TestCollectSourceLink(t *testing.T) {
	t.Parallel()
	src := sampleTree(t)
	link := filepath.Join(t.TempDir(), "src-link")
	if err := os.Symlink(src, link); err != nil {
		t.Fatal(err)
	}
	sel := artifact.Selection{Files: []string{"my-build2/**/*"}}
	want, err := artifact.Collect(src, sel)
	if err != nil {
		t.Fatal(err)
	}
	got, err := artifact.Collect(link, sel)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Collect through a link mismatch (-want +got):\n%s", diff)
	}
}

func TestCollectExpand(t *testing.T) {
	t.Parallel()
	src := sampleTree(t)
	vars := map[string]string{"$VERSION": "1.0", "$OUT": "target"}
	expand := func(s string) string {
		for k, v := range vars {
			s = strings.ReplaceAll(s, k, v)
		}
		return s
	}
	got, err := artifact.Collect(src, artifact.Selection{
		Files:         []string{"app-$VERSION.jar", "app-$VERSION-sources.jar", "app-$MISSING.jar"},
		BaseDirectory: "$OUT",
		Expand:        expand,
	})
	if err != nil {
		t.Fatal(err)
	}
	wantLog := []string{
		"Expanding base directory path: $OUT",
		"Assembling file list",
		"Expanding $OUT",
		"Expanded to target",
		"Expanding file paths for base directory target",
		"Assembling file list",
		"Expanding app-$VERSION.jar",
		"Expanded to app-1.0.jar",
		"Expanding app-$VERSION-sources.jar",
		"Expanded to app-1.0-sources.jar",
		"Expanding app-$MISSING.jar",
		"Skipping invalid file path app-$MISSING.jar",
		"Found 2 file(s)",
	}
	if diff := cmp.Diff(wantLog, got.Log); diff != "" {
		t.Errorf("Collect log mismatch (-want +got):\n%s", diff)
	}
	var paths []string
	for _, e := range got.Entries {
		paths = append(paths, e.Path)
	}
	if diff := cmp.Diff([]string{"app-1.0-sources.jar", "app-1.0.jar"}, paths); diff != "" {
		t.Errorf("Collect entries mismatch (-want +got):\n%s", diff)
	}
}

func TestCollectErrors(t *testing.T) {
	t.Parallel()
	src := sampleTree(t)
	tests := []struct {
		name string
		src  string
		sel  artifact.Selection
		want error
	}{
		{"no files", src, artifact.Selection{}, artifact.ErrNoMatch},
		{"empty pattern", src, artifact.Selection{Files: []string{"", "  ", "/"}}, artifact.ErrNoMatch},
		{"bad pattern", src, artifact.Selection{Files: []string{"dist/[a-"}}, artifact.ErrNoMatch},
		{"base directory is a file", src, artifact.Selection{Files: []string{"*"}, BaseDirectory: "README.md"}, artifact.ErrNoMatch},
		{"only the base directory itself", src, artifact.Selection{Files: []string{"."}}, artifact.ErrNoMatch},
		{"missing source directory", filepath.Join(src, "nope"), artifact.Selection{Files: []string{"*"}}, fs.ErrNotExist},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := artifact.Collect(tt.src, tt.sel)
			if !errors.Is(err, tt.want) {
				t.Errorf("Collect(%+v) error = %v, want %v", tt.sel, err, tt.want)
			}
			if errors.Is(err, artifact.ErrNoMatch) && err.Error() != "no matching artifact paths found" {
				t.Errorf("ErrNoMatch text = %q", err)
			}
		})
	}
}

// FuzzCollect runs Collect over the sample tree with arbitrary patterns:
// it must not panic, fail other than with ErrNoMatch, or return anything
// outside the source directory.
func FuzzCollect(f *testing.F) {
	f.Add("**/*", "", "", false, false)
	f.Add("**/*", "", "**/.*", false, true)
	f.Add("*/my-file3.txt", "my-build2", "", false, false)
	f.Add("**/*", "my-build*", "", true, false)
	f.Add("../outside/secret.txt", "", "", false, false)
	f.Add("escape-dir/*", "", "", false, true)
	f.Add("{target,lib}/*.{jar,so}", "", "", false, false)
	f.Add("/etc/*", "..", "", false, false)
	f.Add("lib/loop/**/*", "lib/loop/lib", "", false, false)
	f.Add(`dist/\*`, "dis[t]", "assets/**", true, true)
	src := sampleTree(f)
	f.Fuzz(func(t *testing.T, files, base, exclude string, discard, symlinks bool) {
		sel := artifact.Selection{
			Files:          strings.Split(files, ","),
			BaseDirectory:  base,
			ExcludePaths:   []string{exclude},
			DiscardPaths:   discard,
			EnableSymlinks: symlinks,
		}
		got, err := artifact.Collect(src, sel)
		if err != nil && !errors.Is(err, artifact.ErrNoMatch) {
			t.Fatalf("Collect(%+v): %v", sel, err)
		}
		checkInside(t, src, got)
		if got != nil {
			seen := map[string]bool{}
			for _, e := range got.Entries {
				if seen[e.Path] {
					t.Errorf("Collect(%+v): duplicate path %s", sel, e.Path)
				}
				seen[e.Path] = true
			}
		}
	})
}

// TestCollectShadowed merges two base directories where one has a
// directory x and the other a file x: the file, found last, replaces the
// directory, and what was below the directory is dropped, so that no
// archive holds a file below a file.
func TestCollectShadowed(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	for _, p := range []string{"b1/x/y.txt", "b1/z.txt", "b2/x"} {
		if err := os.MkdirAll(filepath.Join(src, filepath.Dir(p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(src, p), []byte(p), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := artifact.Collect(src, artifact.Selection{Files: []string{"**/*"}, BaseDirectory: "b*"})
	if err != nil {
		t.Fatal(err)
	}
	wantLog := []string{
		"Expanding base directory path: b*",
		"Assembling file list",
		"Expanding b*",
		"Expanding file paths for base directory b1",
		"Assembling file list",
		"Expanding **/*",
		"Expanding file paths for base directory b2",
		"Assembling file list",
		"Expanding **/*",
		"Replacing x from b1/x with b2/x",
		"Skipping x/y.txt: x is not a directory in the artifact",
		"Found 2 file(s)",
	}
	if diff := cmp.Diff(wantLog, got.Log); diff != "" {
		t.Errorf("Collect log mismatch (-want +got):\n%s", diff)
	}
	var paths []string
	for _, e := range got.Entries {
		paths = append(paths, fmt.Sprintf("%v %s", e.Mode.Type(), e.Path))
	}
	if diff := cmp.Diff([]string{"---------- x", "---------- z.txt"}, paths); diff != "" {
		t.Errorf("Collect entries mismatch (-want +got):\n%s", diff)
	}
	if err := artifact.CopyTree(filepath.Join(t.TempDir(), "out"), got.Entries); err != nil {
		t.Errorf("CopyTree: %v", err)
	}
}

// TestCollectSourceDirs reads an artifact from a secondary source named by
// an absolute base directory, as CodeBuild's multiple-sources sample does
// with $CODEBUILD_SRC_DIR_<id>; an absolute base outside every source
// directory matches nothing.
func TestCollectSourceDirs(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	primary, second := filepath.Join(root, "src1", "src"), filepath.Join(root, "src2", "src")
	for _, d := range []string{primary, filepath.Join(second, "sub")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(primary, "p.txt"), []byte("p"), 0o644)
	os.WriteFile(filepath.Join(second, "s.txt"), []byte("s"), 0o644)
	os.WriteFile(filepath.Join(second, "sub", "t.txt"), []byte("t"), 0o644)
	tests := []struct {
		base string
		want []string
	}{
		{second, []string{"s.txt", "sub", "sub/t.txt"}},
		{filepath.Join(second, "sub"), []string{"t.txt"}},
		{primary, []string{"p.txt"}},
		{root, nil}, // above the source directories
	}
	for _, tt := range tests {
		col, err := artifact.Collect(primary, artifact.Selection{Files: []string{"**/*"}, BaseDirectory: tt.base, SourceDirs: []string{second}})
		if tt.want == nil {
			if !errors.Is(err, artifact.ErrNoMatch) {
				t.Errorf("Collect(base %s): err = %v, want ErrNoMatch", tt.base, err)
			}
			continue
		}
		if err != nil {
			t.Fatalf("Collect(base %s): %v", tt.base, err)
		}
		var got []string
		for _, e := range col.Entries {
			got = append(got, e.Path)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Collect(base %s) paths (-want +got):\n%s", tt.base, diff)
		}
	}
}
