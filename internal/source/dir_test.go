package source_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/codeyard/codeyard/internal/build"
	"github.com/codeyard/codeyard/internal/source"
)

func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func TestDirFetch(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git is not installed; scripts/test installs it")
	}
	src := t.TempDir()
	git(t, src, "init", "-q", "-b", "main")
	git(t, src, "remote", "add", "origin", "https://git.example.com/team/app.git")
	os.WriteFile(filepath.Join(src, "run.sh"), []byte("#!/bin/sh\necho hi\n"), 0o755)
	os.MkdirAll(filepath.Join(src, "pkg", "deep"), 0o755)
	os.WriteFile(filepath.Join(src, "pkg", "deep", "data.txt"), []byte("data"), 0o600)
	os.Symlink("pkg/deep/data.txt", filepath.Join(src, "link"))
	git(t, src, "add", ".")
	git(t, src, "commit", "-qm", "first")
	head := git(t, src, "rev-parse", "HEAD")

	dst := t.TempDir()
	info, err := source.Dir{Path: src}.Fetch(t.Context(), dst)
	if err != nil {
		t.Fatal(err)
	}
	want := build.SourceInfo{Location: "https://git.example.com/team/app.git", Version: head, ResolvedVersion: head}
	if info != want {
		t.Errorf("Fetch = %+v, want %+v", info, want)
	}
	if fi, err := os.Stat(filepath.Join(dst, "run.sh")); err != nil || fi.Mode().Perm() != 0o755 {
		t.Errorf("run.sh copied as %v, %v; want mode 0755", fi, err)
	}
	if b, err := os.ReadFile(filepath.Join(dst, "pkg", "deep", "data.txt")); err != nil || string(b) != "data" {
		t.Errorf("nested file = %q, %v", b, err)
	}
	if l, err := os.Readlink(filepath.Join(dst, "link")); err != nil || l != "pkg/deep/data.txt" {
		t.Errorf("symlink = %q, %v; want it kept as a link", l, err)
	}
	if _, err := os.Stat(filepath.Join(dst, ".git", "HEAD")); err != nil {
		t.Errorf(".git not copied: %v", err)
	}

	// Packed refs and a detached HEAD resolve too.
	git(t, src, "pack-refs", "--all")
	git(t, src, "commit", "-q", "--allow-empty", "-m", "second")
	second := git(t, src, "rev-parse", "HEAD")
	git(t, src, "pack-refs", "--all")
	info, _ = source.Dir{Path: src, InPlace: true, Version: "main"}.Fetch(t.Context(), src)
	if info.ResolvedVersion != second || info.Version != "main" {
		t.Errorf("after pack-refs: %+v, want resolved %s", info, second)
	}
	git(t, src, "checkout", "-q", head)
	info, _ = source.Dir{Path: src, InPlace: true}.Fetch(t.Context(), src)
	if info.ResolvedVersion != head {
		t.Errorf("detached HEAD resolved to %q, want %s", info.ResolvedVersion, head)
	}
}

func TestDirFetchNoGit(t *testing.T) {
	t.Parallel()
	src := t.TempDir()
	info, err := source.Dir{Path: src, InPlace: true}.Fetch(t.Context(), src)
	if err != nil || info.Location != "file://"+src || info.ResolvedVersion != "" {
		t.Errorf("Fetch = %+v, %v; want file:// location, no version", info, err)
	}
}
