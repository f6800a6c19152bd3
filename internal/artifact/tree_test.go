package artifact_test

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// treeTime is the modification time of everything in the sample tree.
var treeTime = time.Date(2026, 11, 27, 10, 30, 0, 0, time.UTC)

// sampleTree writes testdata/tree.txt into a temporary directory and
// returns the source directory in it (src/).
func sampleTree(t testing.TB) string {
	t.Helper()
	spec, err := os.ReadFile(filepath.Join("testdata", "tree.txt"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	type dirMode struct {
		path string
		mode fs.FileMode
	}
	var dirs []dirMode
	t.Cleanup(func() {
		// Let the temporary directory go even when a test failed before
		// the read-only directories were made writable again.
		for _, d := range dirs {
			os.Chmod(d.path, 0o755)
		}
	})
	sc := bufio.NewScanner(bytes.NewReader(spec))
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		kind, rest, _ := strings.Cut(text, " ")
		switch kind {
		case "d", "f":
			modeText, rest, _ := strings.Cut(rest, " ")
			mode, err := strconv.ParseUint(modeText, 8, 32)
			if err != nil {
				t.Fatalf("tree.txt:%d: %v", line, err)
			}
			if kind == "d" {
				p := filepath.Join(dir, filepath.FromSlash(rest))
				if err := os.MkdirAll(p, 0o755); err != nil {
					t.Fatal(err)
				}
				dirs = append(dirs, dirMode{p, fs.FileMode(mode)})
				continue
			}
			name, content := splitName(rest)
			p := filepath.Join(dir, filepath.FromSlash(name))
			content = strings.ReplaceAll(content, `\n`, "\n")
			if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(p, fs.FileMode(mode)); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, treeTime, treeTime); err != nil {
				t.Fatal(err)
			}
		case "l":
			name, target := splitName(rest)
			if err := os.Symlink(target, filepath.Join(dir, filepath.FromSlash(name))); err != nil {
				t.Fatal(err)
			}
		case "p":
			if err := mkfifo(filepath.Join(dir, filepath.FromSlash(rest))); err != nil {
				t.Logf("tree.txt:%d: no named pipe: %v", line, err)
			}
		default:
			t.Fatalf("tree.txt:%d: unknown kind %q", line, kind)
		}
	}
	// Directory modes and times last, deepest first, including the
	// directories that MkdirAll made on the way.
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && !slices.ContainsFunc(dirs, func(m dirMode) bool { return m.path == p }) {
			dirs = append(dirs, dirMode{p, 0o755})
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(dirs, func(a, b dirMode) int { return strings.Compare(b.path, a.path) })
	for _, d := range dirs {
		if err := os.Chmod(d.path, d.mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(d.path, treeTime, treeTime); err != nil {
			t.Fatal(err)
		}
	}
	return filepath.Join(dir, "src")
}

// splitName splits "PATH REST" where PATH may contain the spaces of a
// known directory name ("release notes").
func splitName(s string) (name, rest string) {
	const spaced = "release notes/"
	if i := strings.Index(s, spaced); i >= 0 {
		n, r, _ := strings.Cut(s[i+len(spaced):], " ")
		return s[:i+len(spaced)] + n, r
	}
	name, rest, _ = strings.Cut(s, " ")
	return name, rest
}
