package cache_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/codeyard/codeyard/internal/cache"
)

var hashTree = map[string]file{
	"package-lock.json":     {Content: `{"lockfileVersion": 3}` + "\n"},
	"README.md":             {Content: "# readme\n"},
	"docs/guide.md":         {Content: "guide\n"},
	"docs/ref/api.md":       {Content: "api\n"},
	"docs/dir.md/inner.txt": {Content: "a directory named like a match\n"},
	"src/app.js":            {Content: "console.log(1)\n"},
	"src/.hidden.md":        {Content: "hidden\n"},
	"a b/space.md":          {Content: "space\n"},
	"link.md":               {Link: "README.md"},
	"empty.md":              {},
}

// sha256sum hashes files the way the documentation of HashFiles says
// CodeBuild does: "cat $files | sha256sum". It runs the real tools when
// they are installed, and hashes in Go otherwise.
func sha256sum(t *testing.T, dir string, files []string) string {
	t.Helper()
	if _, err := exec.LookPath("sha256sum"); err == nil {
		var cmd *exec.Cmd
		if len(files) == 1 {
			cmd = exec.Command("sha256sum", files[0])
		} else {
			cmd = exec.Command("sh", "-c", `cat "$@" | sha256sum`, "sh")
			cmd.Args = append(cmd.Args, files...)
		}
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		sum, _, _ := strings.Cut(string(out), " ")
		return sum
	}
	h := sha256.New()
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func TestHashFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, hashTree)
	tests := []struct {
		globs []string
		files []string // what sha256sum is given, in CodeBuild's order
	}{
		{[]string{"package-lock.json"}, []string{"package-lock.json"}},
		{[]string{"./package-lock.json"}, []string{"package-lock.json"}},
		{[]string{"**/*.md"}, []string{"README.md", "a b/space.md", "docs/guide.md", "docs/ref/api.md", "empty.md", "link.md", "src/.hidden.md"}},
		{[]string{"docs/*.md"}, []string{"docs/guide.md"}},
		{[]string{"src/*", "package-lock.json"}, []string{"package-lock.json", "src/.hidden.md", "src/app.js"}},
		{[]string{"README.md", "*.md", "README.md"}, []string{"README.md", "empty.md", "link.md"}},
		{[]string{"{src,docs}/*.{js,md}"}, []string{"docs/guide.md", "src/.hidden.md", "src/app.js"}},
		{[]string{"empty.md"}, []string{"empty.md"}},
		{[]string{"missing.txt", "README.md"}, []string{"README.md"}},
	}
	for _, tt := range tests {
		got, err := cache.HashFiles(dir, tt.globs)
		if err != nil {
			t.Errorf("HashFiles(%q): %v", tt.globs, err)
			continue
		}
		if want := sha256sum(t, dir, tt.files); got != want {
			t.Errorf("HashFiles(%q) = %s, want %s (sha256sum of %q)", tt.globs, got, want, tt.files)
		}
	}
	// The hash follows content, not names or timestamps.
	a, _ := cache.HashFiles(dir, []string{"README.md"})
	b, _ := cache.HashFiles(dir, []string{"link.md"})
	if a != b {
		t.Errorf("a link hashes as %s, its target as %s", b, a)
	}
}

func TestHashFilesErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeTree(t, dir, hashTree)
	tests := []struct {
		globs     []string
		wantMatch bool // errors.Is ErrNoMatch
	}{
		{[]string{"*.lock"}, true},
		{[]string{"docs/dir.md"}, true}, // directories are not hashed
		{[]string{"nothing/**/*", "neither"}, true},
		{nil, false},
		{[]string{"/etc/passwd"}, false},
		{[]string{"../" + filepath.Base(dir) + "/README.md"}, false},
		{[]string{"docs/[md"}, false},
	}
	for _, tt := range tests {
		got, err := cache.HashFiles(dir, tt.globs)
		if err == nil {
			t.Errorf("HashFiles(%q) = %s, want an error", tt.globs, got)
			continue
		}
		if errors.Is(err, cache.ErrNoMatch) != tt.wantMatch {
			t.Errorf("HashFiles(%q) = %v; ErrNoMatch %t, want %t", tt.globs, err, !tt.wantMatch, tt.wantMatch)
		}
	}
}

// TestHashFilesMain runs the command in a working directory, so it cannot
// run in parallel.
func TestHashFilesMain(t *testing.T) {
	dir := t.TempDir()
	writeTree(t, dir, hashTree)
	t.Chdir(dir)
	lock := sha256sum(t, dir, []string{"package-lock.json"})
	tests := []struct {
		args       []string
		wantCode   int
		wantStdout string
		wantStderr string
	}{
		{[]string{"package-lock.json"}, 0, lock + "\n", ""},
		{[]string{"**/*.md"}, 0, sha256sum(t, dir, []string{"README.md", "a b/space.md", "docs/guide.md", "docs/ref/api.md", "empty.md", "link.md", "src/.hidden.md"}) + "\n", ""},
		{nil, 2, "", "usage: codebuild-hash-files <glob-pattern-1> <glob-pattern-2> ...\n"},
		{[]string{"yarn.lock"}, 1, "", "codebuild-hash-files: hash files yarn.lock: no files matched\n"},
		{[]string{"/etc/hosts"}, 1, "", "codebuild-hash-files: hash files: \"/etc/hosts\": patterns are relative to the source directory\n"},
	}
	for _, tt := range tests {
		var stdout, stderr bytes.Buffer
		code := cache.HashFilesMain(tt.args, &stdout, &stderr)
		got := []any{code, stdout.String(), stderr.String()}
		want := []any{tt.wantCode, tt.wantStdout, tt.wantStderr}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("HashFilesMain(%q) mismatch (-want +got):\n%s", tt.args, diff)
		}
	}
}
