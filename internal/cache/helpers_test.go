package cache_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codeyard/codeyard/internal/cache"
)

// file is one file, directory or symbolic link of a test tree. A name
// ending in "/" is a directory.
type file struct {
	Mode    fs.FileMode // permission bits; 0 means 0644 for files, 0755 for directories
	Content string
	Link    string // symbolic link target
}

// writeTree creates tree below dir, parents first.
func writeTree(t testing.TB, dir string, tree map[string]file) {
	t.Helper()
	for name, f := range tree {
		p := filepath.Join(dir, filepath.FromSlash(strings.TrimSuffix(name, "/")))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		switch {
		case f.Link != "":
			if err := os.Symlink(f.Link, p); err != nil {
				t.Fatal(err)
			}
		case strings.HasSuffix(name, "/"):
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		default:
			if err := os.WriteFile(p, []byte(f.Content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Modes last, so that read-only directories do not stop the writes.
	for name, f := range tree {
		if f.Link != "" || f.Mode == 0 {
			continue
		}
		p := filepath.Join(dir, filepath.FromSlash(strings.TrimSuffix(name, "/")))
		if err := os.Chmod(p, f.Mode); err != nil {
			t.Fatal(err)
		}
	}
}

// readTree returns the tree below dir. Directory modes are left out
// (they depend on the umask for directories a restore had to create) unless
// modes is set; file modes are always in.
func readTree(t testing.TB, dir string, modes bool) map[string]file {
	t.Helper()
	tree := map[string]file{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == dir {
			return nil
		}
		rel := filepath.ToSlash(strings.TrimPrefix(p, dir+string(filepath.Separator)))
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			tree[rel] = file{Link: target}
		case fi.IsDir():
			f := file{}
			if modes {
				f.Mode = fi.Mode().Perm()
			}
			tree[rel+"/"] = f
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			tree[rel] = file{Mode: fi.Mode().Perm(), Content: string(b)}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}

// normal fills in the default modes of a tree written by writeTree, for
// comparison with readTree.
func normal(tree map[string]file, modes bool) map[string]file {
	out := map[string]file{}
	for name, f := range tree {
		switch {
		case f.Link != "":
		case strings.HasSuffix(name, "/"):
			if !modes {
				f.Mode = 0
			} else if f.Mode == 0 {
				f.Mode = 0o755
			}
		case f.Mode == 0:
			f.Mode = 0o644
		}
		out[name] = f
	}
	return out
}

// clock returns a Now func that starts at a fixed time and advances a
// minute per call.
func clock() func() time.Time {
	var mu sync.Mutex
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		now = now.Add(time.Minute)
		return now
	}
}

// newStore opens a store in a temporary directory with a test clock.
func newStore(t testing.TB) *cache.Store {
	t.Helper()
	st, err := cache.Open(filepath.Join(t.TempDir(), "store"))
	if err != nil {
		t.Fatal(err)
	}
	st.Now = clock()
	return st
}

// dirs returns fresh targets: a source directory and a root for absolute
// paths.
func dirs(t testing.TB) cache.Targets {
	t.Helper()
	d := t.TempDir()
	tg := cache.Targets{SourceDir: filepath.Join(d, "src"), Root: filepath.Join(d, "root")}
	for _, p := range []string{tg.SourceDir, tg.Root} {
		if err := os.Mkdir(p, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return tg
}
