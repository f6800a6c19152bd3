package artifact_test

import (
	"archive/zip"
	"bytes"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codeyard/codeyard/internal/artifact"
	"github.com/google/go-cmp/cmp"
)

// item is what an archive or a folder holds at one path.
type item struct {
	Mode    fs.FileMode
	Content string // file content, or link target
}

// want returns what packaging entries should produce: each entry's mode
// and content, read from its source.
func want(t *testing.T, entries []artifact.Entry) map[string]item {
	t.Helper()
	m := map[string]item{}
	for _, e := range entries {
		it := item{Mode: e.Mode}
		switch {
		case e.Mode&fs.ModeSymlink != 0:
			it = item{Mode: fs.ModeSymlink | 0o777, Content: e.Link}
		case e.Mode.IsRegular():
			b, err := os.ReadFile(e.Source)
			if err != nil {
				t.Fatal(err)
			}
			it.Content = string(b)
		}
		m[e.Path] = it
	}
	return m
}

func collect(t *testing.T, src string, sel artifact.Selection) []artifact.Entry {
	t.Helper()
	got, err := artifact.Collect(src, sel)
	if err != nil {
		t.Fatalf("Collect(%+v): %v", sel, err)
	}
	return got.Entries
}

var packagingCases = []struct {
	name string
	sel  artifact.Selection
}{
	{"all files", artifact.Selection{Files: []string{"**/*"}}},
	{"all files with links", artifact.Selection{Files: []string{"**/*"}, EnableSymlinks: true}},
	{"base glob discard", artifact.Selection{Files: []string{"**/*"}, BaseDirectory: "my-build*", DiscardPaths: true}},
	{"dist", artifact.Selection{Files: []string{"dist/**/*"}, ExcludePaths: []string{"**/*.map"}}},
}

// TestWriteZipRoundTrip reads WriteZip's archives back with archive/zip.
func TestWriteZipRoundTrip(t *testing.T) {
	t.Parallel()
	src := sampleTree(t)
	for _, tt := range packagingCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			entries := collect(t, src, tt.sel)
			var buf bytes.Buffer
			if err := artifact.WriteZip(&buf, entries); err != nil {
				t.Fatalf("WriteZip: %v", err)
			}
			zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
			if err != nil {
				t.Fatalf("zip.NewReader: %v", err)
			}
			got := map[string]item{}
			var names []string
			for _, f := range zr.File {
				names = append(names, f.Name)
				rc, err := f.Open()
				if err != nil {
					t.Fatalf("open %s: %v", f.Name, err)
				}
				b, err := io.ReadAll(rc)
				rc.Close()
				if err != nil {
					t.Fatalf("read %s: %v", f.Name, err)
				}
				if !f.Mode().IsRegular() && !f.Mode().IsDir() {
					// Link times are not set in the sample tree.
				} else if !f.Modified.Equal(treeTime) {
					t.Errorf("%s: modified %v, want %v", f.Name, f.Modified, treeTime)
				}
				got[strings.TrimSuffix(f.Name, "/")] = item{Mode: f.Mode(), Content: string(b)}
			}
			if diff := cmp.Diff(want(t, entries), got); diff != "" {
				t.Errorf("WriteZip(%s) archive mismatch (-want +got):\n%s", tt.name, diff)
			}
			var wantNames []string
			for _, e := range entries {
				n := e.Path
				if e.Mode.IsDir() {
					n += "/"
				}
				wantNames = append(wantNames, n)
			}
			if diff := cmp.Diff(wantNames, names); diff != "" {
				t.Errorf("WriteZip(%s) entry order mismatch (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

// TestWriteZipUnzip checks WriteZip's archives with Info-ZIP's unzip: the
// archive tests clean, lists every entry, and extracts to the same files,
// modes and links.
func TestWriteZipUnzip(t *testing.T) {
	t.Parallel()
	unzip, err := exec.LookPath("unzip")
	if err != nil {
		t.Skip("unzip is not installed (apt-get install unzip); skipping the check against Info-ZIP")
	}
	src := sampleTree(t)
	for _, tt := range packagingCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			entries := collect(t, src, tt.sel)
			dir := t.TempDir()
			zipPath := filepath.Join(dir, "artifact.zip")
			f, err := os.Create(zipPath)
			if err != nil {
				t.Fatal(err)
			}
			if err := artifact.WriteZip(f, entries); err != nil {
				t.Fatalf("WriteZip: %v", err)
			}
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			out, err := exec.Command(unzip, "-t", zipPath).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "No errors detected") {
				t.Fatalf("unzip -t: %v\n%s", err, out)
			}
			out, err = exec.Command(unzip, "-Z1", zipPath).CombinedOutput()
			if err != nil {
				t.Fatalf("unzip -Z1: %v\n%s", err, out)
			}
			var listed []string
			for l := range strings.Lines(string(out)) {
				listed = append(listed, strings.TrimSuffix(strings.TrimSuffix(l, "\n"), "/"))
			}
			var paths []string
			for _, e := range entries {
				paths = append(paths, e.Path)
			}
			if diff := cmp.Diff(paths, listed); diff != "" {
				t.Errorf("unzip -Z1 mismatch (-want +got):\n%s", diff)
			}
			out, err = exec.Command(unzip, "-l", zipPath).CombinedOutput()
			if err != nil || !strings.Contains(string(out), "files") {
				t.Errorf("unzip -l: %v\n%s", err, out)
			}
			dst := filepath.Join(dir, "x")
			if out, err := exec.Command(unzip, "-q", zipPath, "-d", dst).CombinedOutput(); err != nil {
				t.Fatalf("unzip -d: %v\n%s", err, out)
			}
			t.Cleanup(func() { makeWritable(dst) })
			if diff := cmp.Diff(want(t, entries), readTree(t, dst, entries)); diff != "" {
				t.Errorf("unzip of WriteZip(%s) mismatch (-want +got):\n%s", tt.name, diff)
			}
		})
	}
}

// readTree reads every file, directory and link below dir, leaving out
// the directories that no entry names (the parents of entries, which
// extraction creates as it needs them).
func readTree(t *testing.T, dir string, entries []artifact.Entry) map[string]item {
	t.Helper()
	named := map[string]bool{}
	for _, e := range entries {
		named[e.Path] = true
	}
	got := map[string]item{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() && !named[filepath.ToSlash(rel)] {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		it := item{Mode: info.Mode().Type() | info.Mode().Perm()}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			it.Mode = fs.ModeSymlink | 0o777
			it.Content, err = os.Readlink(p)
		case info.Mode().IsRegular():
			var b []byte
			b, err = os.ReadFile(p)
			it.Content = string(b)
		}
		got[filepath.ToSlash(rel)] = it
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// makeWritable lets t.TempDir remove read-only directories.
func makeWritable(dir string) {
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			os.Chmod(p, 0o755)
		}
		return nil
	})
}

func TestCopyTree(t *testing.T) {
	t.Parallel()
	src := sampleTree(t)
	for _, tt := range packagingCases {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			entries := collect(t, src, tt.sel)
			parent := t.TempDir()
			dst := filepath.Join(parent, "artifact")
			if err := artifact.CopyTree(dst, entries); err != nil {
				t.Fatalf("CopyTree: %v", err)
			}
			t.Cleanup(func() { makeWritable(dst) })
			if diff := cmp.Diff(want(t, entries), readTree(t, dst, entries)); diff != "" {
				t.Errorf("CopyTree(%s) mismatch (-want +got):\n%s", tt.name, diff)
			}
			for _, e := range entries {
				if e.Mode&fs.ModeSymlink != 0 {
					continue
				}
				fi, err := os.Stat(filepath.Join(dst, filepath.FromSlash(e.Path)))
				if err != nil {
					t.Fatal(err)
				}
				if !fi.ModTime().Equal(treeTime) {
					t.Errorf("%s: modified %v, want %v", e.Path, fi.ModTime(), treeTime)
				}
			}
			if names := dirNames(t, parent); !cmp.Equal(names, []string{"artifact"}) {
				t.Errorf("CopyTree left %v next to the artifact", names)
			}
		})
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

// TestCopyTreeFailure checks that a failed CopyTree leaves nothing behind:
// no artifact folder and no temporary directory.
func TestCopyTreeFailure(t *testing.T) {
	t.Parallel()
	src := sampleTree(t)
	good := collect(t, src, artifact.Selection{Files: []string{"dist/**/*"}})
	file := func(p, source string) artifact.Entry {
		return artifact.Entry{Path: p, Source: source, Mode: 0o644}
	}
	tests := []struct {
		name    string
		entries []artifact.Entry
		prepare func(t *testing.T, dst string)
	}{
		{"missing source", append(good[:len(good):len(good)], file("zz/gone.txt", filepath.Join(src, "gone.txt"))), nil},
		{"source is now a link", []artifact.Entry{file("a.txt", filepath.Join(src, "lib", "libfoo.so"))}, nil},
		{"path escapes", []artifact.Entry{file("../escaped.txt", filepath.Join(src, "README.md"))}, nil},
		{"absolute path", []artifact.Entry{file("/tmp/x.txt", filepath.Join(src, "README.md"))}, nil},
		{"file below a link", []artifact.Entry{
			{Path: "a", Mode: fs.ModeSymlink | 0o777, Link: "/tmp"},
			file("a/b.txt", filepath.Join(src, "README.md")),
		}, nil},
		{"duplicate path", []artifact.Entry{
			file("a.txt", filepath.Join(src, "README.md")),
			file("a.txt", filepath.Join(src, "buildspec.yml")),
		}, nil},
		{"destination not empty", good, func(t *testing.T, dst string) {
			if err := os.MkdirAll(filepath.Join(dst, "old"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			parent := t.TempDir()
			dst := filepath.Join(parent, "artifact")
			before := []string(nil)
			if tt.prepare != nil {
				tt.prepare(t, dst)
				before = dirNames(t, parent)
			}
			if err := artifact.CopyTree(dst, tt.entries); err == nil {
				t.Fatalf("CopyTree(%s) succeeded, want an error", tt.name)
			}
			if got := dirNames(t, parent); !cmp.Equal(got, before) {
				t.Errorf("CopyTree(%s) left %v in the parent directory, want %v", tt.name, got, before)
			}
		})
	}
}

// TestWriteZipRefuses checks that WriteZip does not package entries whose
// path leaves the archive or whose source stopped being a regular file.
func TestWriteZipRefuses(t *testing.T) {
	t.Parallel()
	src := sampleTree(t)
	readme := filepath.Join(src, "README.md")
	tests := []struct {
		name  string
		entry artifact.Entry
	}{
		{"dot-dot", artifact.Entry{Path: "../x", Source: readme, Mode: 0o644}},
		{"absolute", artifact.Entry{Path: "/x", Source: readme, Mode: 0o644}},
		{"empty", artifact.Entry{Path: "", Source: readme, Mode: 0o644}},
		{"dot", artifact.Entry{Path: ".", Source: readme, Mode: fs.ModeDir | 0o755}},
		{"backslash", artifact.Entry{Path: `a\..\..\x`, Source: readme, Mode: 0o644}},
		{"source is a link", artifact.Entry{Path: "x", Source: filepath.Join(src, "escape-file"), Mode: 0o644}},
		{"source is a pipe", artifact.Entry{Path: "x", Source: filepath.Join(src, "pipe"), Mode: 0o644}},
		{"source is missing", artifact.Entry{Path: "x", Source: filepath.Join(src, "gone"), Mode: 0o644}},
		{"device mode", artifact.Entry{Path: "x", Source: readme, Mode: fs.ModeDevice | 0o644}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if err := artifact.WriteZip(io.Discard, []artifact.Entry{tt.entry}); err == nil {
				t.Errorf("WriteZip(%+v) succeeded, want an error", tt.entry)
			}
		})
	}
}

// TestPackageAfterSwap replaces a collected file by a link to a file
// outside the source directory between Collect and packaging: neither
// WriteZip nor CopyTree may package the outside file.
func TestPackageAfterSwap(t *testing.T) {
	t.Parallel()
	src := sampleTree(t)
	entries := collect(t, src, artifact.Selection{Files: []string{"README.md"}})
	readme := filepath.Join(src, "README.md")
	if err := os.Remove(readme); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(src, "..", "outside", "secret.txt"), readme); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := artifact.WriteZip(&buf, entries); err == nil {
		t.Error("WriteZip succeeded after the file was replaced by a link")
	}
	if bytes.Contains(buf.Bytes(), []byte("do not package")) {
		t.Error("WriteZip packaged the outside file")
	}
	if err := artifact.CopyTree(filepath.Join(t.TempDir(), "a"), entries); err == nil {
		t.Error("CopyTree succeeded after the file was replaced by a link")
	}
}
