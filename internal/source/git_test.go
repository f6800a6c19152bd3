package source_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/codeyard/codeyard/internal/build"
	"github.com/codeyard/codeyard/internal/source"
)

// gitEnv keeps the user's configuration out of the repositories the tests
// build (a global commit.gpgsign would break them).
var gitEnv = []string{
	"GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1", "GIT_TERMINAL_PROMPT=0",
	"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
	"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
}

// runGit runs git in dir and returns its trimmed standard output.
func runGit(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	cmd := exec.Command("git", append([]string{"-c", "protocol.file.allow=always"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), gitEnv...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		tb.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return strings.TrimSpace(string(out))
}

func needGit(tb testing.TB) {
	tb.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		tb.Skip("git is not installed; scripts/test installs it")
	}
}

// fixture is a bare repository "app.git" with a submodule "lib.git":
//
//	c1 (tag light) ← c2 (tag v1.0, annotated) ← c3 main (adds submodule lib at lib1)
//	                 c2 ← dev
//	                 c2 ← pr  refs/pull/7/head
//	                 c2 ← mr  refs/merge-requests/9/head
//	lib: lib1 ← lib2 main
type fixture struct {
	path, url               string
	c1, c2, c3, dev, pr, mr string
	lib1                    string
}

func newFixture(tb testing.TB) *fixture {
	tb.Helper()
	root := tb.TempDir()
	write := func(dir, name, data string) {
		tb.Helper()
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	commit := func(dir, msg string) string {
		tb.Helper()
		runGit(tb, dir, "add", "-A")
		runGit(tb, dir, "commit", "-qm", msg)
		return runGit(tb, dir, "rev-parse", "HEAD")
	}
	f := &fixture{path: filepath.Join(root, "app.git")}
	f.url = "file://" + f.path

	lib := filepath.Join(root, "lib")
	runGit(tb, root, "init", "-q", "-b", "main", lib)
	write(lib, "l.txt", "lib1")
	f.lib1 = commit(lib, "lib1")
	write(lib, "l.txt", "lib2")
	commit(lib, "lib2")
	runGit(tb, root, "clone", "-q", "--bare", lib, "lib.git")

	w := filepath.Join(root, "work")
	runGit(tb, root, "init", "-q", "-b", "main", w)
	write(w, "a.txt", "c1")
	f.c1 = commit(w, "c1")
	runGit(tb, w, "tag", "light")
	write(w, "a.txt", "c2")
	f.c2 = commit(w, "c2")
	runGit(tb, w, "tag", "-a", "-m", "release", "v1.0")
	runGit(tb, w, "checkout", "-q", "-b", "dev")
	write(w, "a.txt", "dev")
	f.dev = commit(w, "dev")
	runGit(tb, w, "checkout", "-q", "main")
	runGit(tb, w, "submodule", "add", "-q", "file://"+filepath.Join(root, "lib.git"), "lib")
	runGit(tb, filepath.Join(w, "lib"), "checkout", "-q", f.lib1)
	write(w, "a.txt", "c3")
	f.c3 = commit(w, "c3")
	f.pr = runGit(tb, w, "commit-tree", "-p", f.c2, "-m", "pr", f.c2+"^{tree}")
	f.mr = runGit(tb, w, "commit-tree", "-p", f.c2, "-m", "mr", f.c2+"^{tree}")
	runGit(tb, w, "update-ref", "refs/pull/7/head", f.pr)
	runGit(tb, w, "update-ref", "refs/merge-requests/9/head", f.mr)
	runGit(tb, root, "clone", "-q", "--mirror", w, f.path)
	return f
}

func TestGitFetch(t *testing.T) {
	t.Parallel()
	needGit(t)
	f := newFixture(t)
	tests := []struct {
		name    string
		src     source.Git
		want    string // the commit checked out
		shallow bool
		lib     string // lib/l.txt; "" when the submodule is not checked out
	}{
		{name: "default branch", src: source.Git{}, want: f.c3},
		{name: "default branch depth 1", src: source.Git{Depth: 1}, want: f.c3, shallow: true},
		{name: "branch", src: source.Git{Version: "dev"}, want: f.dev},
		{name: "branch depth 1", src: source.Git{Version: "dev", Depth: 1}, want: f.dev, shallow: true},
		{name: "refs/heads", src: source.Git{Version: "refs/heads/dev"}, want: f.dev},
		{name: "lightweight tag", src: source.Git{Version: "light"}, want: f.c1},
		{name: "annotated tag", src: source.Git{Version: "v1.0", Depth: 1}, want: f.c2, shallow: true},
		{name: "refs/tags annotated", src: source.Git{Version: "refs/tags/v1.0", Depth: 1}, want: f.c2, shallow: true},
		{name: "full commit", src: source.Git{Version: f.c1}, want: f.c1},
		{name: "full commit depth 1", src: source.Git{Version: f.c1, Depth: 1}, want: f.c1, shallow: true},
		{name: "short commit", src: source.Git{Version: f.c2[:8], Depth: 1}, want: f.c2},
		{name: "pull request", src: source.Git{Version: "pr/7", Depth: 1}, want: f.pr, shallow: true},
		{name: "merge request", src: source.Git{Version: "pr/9"}, want: f.mr},
		{name: "refs/pull", src: source.Git{Version: "refs/pull/7/head"}, want: f.pr},
		{name: "ref and commit", src: source.Git{Version: "refs/heads/main^{" + f.c2 + "}", Depth: 1}, want: f.c2, shallow: true},
		{name: "local path depth 1", src: source.Git{Location: f.path, Depth: 1}, want: f.c3, shallow: true},
		{name: "local path", src: source.Git{Location: f.path}, want: f.c3},
		{name: "submodules", src: source.Git{Submodules: true}, want: f.c3, lib: "lib1"},
		{name: "submodules depth 1", src: source.Git{Submodules: true, Depth: 1}, want: f.c3, shallow: true, lib: "lib1"},
		{name: "submodules at a commit", src: source.Git{Version: f.c3, Submodules: true, Depth: 1}, want: f.c3, shallow: true, lib: "lib1"},
		{
			name: "env rewrites the URL",
			src: source.Git{
				Location: "https://git.example.invalid/app.git",
				Env: []string{
					"GIT_CONFIG_COUNT=1",
					"GIT_CONFIG_KEY_0=url." + f.url + ".insteadOf",
					"GIT_CONFIG_VALUE_0=https://git.example.invalid/app.git",
				},
			},
			want: f.c3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			src := tt.src
			if src.Location == "" {
				src.Location = f.url
			}
			dst := t.TempDir()
			info, err := src.Fetch(t.Context(), dst)
			if err != nil {
				t.Fatalf("Fetch(%+v): %v", src, err)
			}
			want := build.SourceInfo{Location: src.Location, Version: src.Version, ResolvedVersion: tt.want}
			if diff := cmp.Diff(want, info); diff != "" {
				t.Errorf("Fetch(%+v) info mismatch (-want +got):\n%s", src, diff)
			}
			head, _ := os.ReadFile(filepath.Join(dst, ".git", "HEAD"))
			if got := strings.TrimSpace(string(head)); got != tt.want {
				t.Errorf(".git/HEAD = %q, want detached at %s", got, tt.want)
			}
			got := map[string]string{
				"shallow": runGit(t, dst, "rev-parse", "--is-shallow-repository"),
				"origin":  runGit(t, dst, "config", "remote.origin.url"),
				"status":  runGit(t, dst, "status", "--porcelain"),
				"lib":     readFile(filepath.Join(dst, "lib", "l.txt")),
			}
			wantState := map[string]string{
				"shallow": strconv.FormatBool(tt.shallow),
				"origin":  src.Location,
				"status":  "",
				"lib":     tt.lib,
			}
			if tt.want == f.c3 && tt.lib != "" {
				wantState["lib head"] = f.lib1
				got["lib head"] = runGit(t, filepath.Join(dst, "lib"), "rev-parse", "HEAD")
			}
			if diff := cmp.Diff(wantState, got); diff != "" {
				t.Errorf("Fetch(%+v) clone mismatch (-want +got):\n%s", src, diff)
			}
		})
	}
}

func readFile(name string) string {
	b, _ := os.ReadFile(name)
	return string(b)
}

func TestGitFetchErrors(t *testing.T) {
	t.Parallel()
	needGit(t)
	f := newFixture(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		code, _ := strconv.Atoi(strings.Split(r.URL.Path, "/")[1])
		if code == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
		}
		w.WriteHeader(code)
	}))
	t.Cleanup(srv.Close)
	missing := filepath.Join(t.TempDir(), "missing.git")
	noProxy := []string{"NO_PROXY=*", "no_proxy=*"}
	tests := []struct {
		name   string
		src    source.Git
		prefix string // the message starts with it, then git's line
	}{
		{
			name:   "unknown branch",
			src:    source.Git{Location: f.url, Version: "nope", Depth: 1},
			prefix: "reference not found for primary source and source version nope: fatal: Remote branch nope not found",
		},
		{
			name:   "unknown ref",
			src:    source.Git{Location: f.url, Version: "refs/tags/nope"},
			prefix: "reference not found for primary source and source version refs/tags/nope: fatal: couldn't find remote ref refs/tags/nope",
		},
		{
			name:   "unknown pull request",
			src:    source.Git{Location: f.url, Version: "pr/404"},
			prefix: "reference not found for primary source and source version pr/404: fatal: couldn't find remote ref refs/pull/404/head",
		},
		{
			name:   "unknown commit",
			src:    source.Git{Location: f.url, Version: strings.Repeat("0123456789", 4), Depth: 1},
			prefix: "reference not found for primary source and source version " + strings.Repeat("0123456789", 4) + ": fatal: ",
		},
		{
			name:   "unknown short commit",
			src:    source.Git{Location: f.url, Version: "abcdef12"},
			prefix: "reference not found for primary source and source version abcdef12: fatal: ",
		},
		{
			name:   "option-like version",
			src:    source.Git{Location: f.url, Version: "--upload-pack=touch"},
			prefix: "reference not found for primary source and source version --upload-pack=touch: not a valid source version",
		},
		{
			name:   "secondary source",
			src:    source.Git{Location: f.url, Version: "nope", Identifier: "tools"},
			prefix: "reference not found for secondary source tools and source version nope: ",
		},
		{
			name:   "missing repository URL",
			src:    source.Git{Location: "file://" + missing},
			prefix: "repository not found for primary source: fatal: '" + missing + "' does not appear to be a git repository",
		},
		{
			name:   "missing repository path",
			src:    source.Git{Location: missing, Version: "main"},
			prefix: "repository not found for primary source and source version main: fatal: repository '" + missing + "' does not exist",
		},
		{
			name:   "missing repository at a commit",
			src:    source.Git{Location: "file://" + missing, Version: f.c1},
			prefix: "repository not found for primary source and source version " + f.c1 + ": fatal: '" + missing + "' does not appear",
		},
		{
			name:   "HTTP 404",
			src:    source.Git{Location: srv.URL + "/404/app.git", Env: noProxy},
			prefix: "repository not found for primary source: fatal: repository '" + srv.URL + "/404/app.git/' not found",
		},
		{
			name:   "credentials required",
			src:    source.Git{Location: srv.URL + "/401/app.git", Env: noProxy},
			prefix: "authentication required for primary source: fatal: could not read Username for '" + srv.URL + "': terminal prompts disabled",
		},
		{
			name:   "credentials refused",
			src:    source.Git{Location: strings.Replace(srv.URL, "//", "//user:s3cret@", 1) + "/403/app.git", Env: noProxy},
			prefix: "authorization failed for primary source: fatal: unable to access",
		},
		{
			name:   "no location",
			src:    source.Git{},
			prefix: "repository not found for primary source: no location",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := tt.src.Fetch(t.Context(), t.TempDir())
			var ce *build.ContextError
			if !errors.As(err, &ce) {
				t.Fatalf("Fetch(%+v) = %v, want a *build.ContextError", tt.src, err)
			}
			if ce.StatusCode != build.CodeClientError || !strings.HasPrefix(ce.Message, tt.prefix) {
				t.Errorf("Fetch(%+v) = %s: %q\nwant CLIENT_ERROR: %q...", tt.src, ce.StatusCode, ce.Message, tt.prefix)
			}
			if strings.Contains(ce.Message, "s3cret") {
				t.Errorf("Fetch(%+v) message %q shows the password", tt.src, ce.Message)
			}
		})
	}
}

// TestGitFetchCancel checks that cancelling kills git and what it started:
// here an ssh that never answers.
func TestGitFetchCancel(t *testing.T) {
	t.Parallel()
	needGit(t)
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	ssh := filepath.Join(dir, "ssh")
	script := fmt.Sprintf("#!/bin/sh\necho $$ > %s.tmp && mv %s.tmp %s\nexec sleep 60\n", pidFile, pidFile, pidFile)
	if err := os.WriteFile(ssh, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	src := source.Git{Location: "ssh://git.example.invalid/app.git", Env: []string{"GIT_SSH_COMMAND=" + ssh}}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		_, err := src.Fetch(ctx, t.TempDir())
		done <- err
	}()

	var pid int
	for deadline := time.Now().Add(10 * time.Second); pid == 0; time.Sleep(10 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("Fetch ended before the cancel: %v", err)
		default:
		}
		if b, err := os.ReadFile(pidFile); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		if time.Now().After(deadline) {
			t.Fatal("git did not start ssh within 10s")
		}
	}
	cancel()
	select {
	case err := <-done:
		var ce *build.ContextError
		if !errors.Is(err, context.Canceled) || errors.As(err, &ce) {
			t.Errorf("Fetch after cancel = %v, want context.Canceled, not a client error", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Fetch did not return within 10s of the cancel")
	}
	for deadline := time.Now().Add(5 * time.Second); alive(pid); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("ssh (pid %d) still runs 5s after the cancel", pid)
		}
	}
}

// alive reports whether pid runs (a zombie does not).
func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	_, after, _ := strings.Cut(string(b), ") ")
	return !strings.HasPrefix(after, "Z")
}

func TestGitResolve(t *testing.T) {
	t.Parallel()
	needGit(t)
	f := newFixture(t)
	tests := []struct {
		version string
		want    string
	}{
		{"", f.c3},
		{"main", f.c3},
		{"dev", f.dev},
		{"refs/heads/dev", f.dev},
		{"light", f.c1},
		{"v1.0", f.c2},
		{"refs/tags/v1.0", f.c2},
		{"pr/7", f.pr},
		{"pr/9", f.mr},
		{f.c1, f.c1},
		{"refs/heads/main^{" + f.c2 + "}", f.c2},
	}
	for _, tt := range tests {
		t.Run(tt.version, func(t *testing.T) {
			t.Parallel()
			got, err := source.Git{Location: f.url, Version: tt.version}.Resolve(t.Context())
			if err != nil || got != tt.want {
				t.Errorf("Resolve(%q) = %q, %v; want %s", tt.version, got, err, tt.want)
			}
		})
	}
	for _, tt := range []struct {
		src    source.Git
		prefix string
	}{
		{source.Git{Location: f.url, Version: "nope"}, "reference not found for primary source and source version nope: "},
		{source.Git{Location: f.url, Version: f.c1[:8]}, "reference not found for primary source and source version " + f.c1[:8] + ": "},
		{source.Git{Location: f.url + ".missing"}, "repository not found for primary source: "},
	} {
		_, err := tt.src.Resolve(t.Context())
		var ce *build.ContextError
		if !errors.As(err, &ce) || ce.StatusCode != build.CodeClientError || !strings.HasPrefix(ce.Message, tt.prefix) {
			t.Errorf("Resolve(%+v) = %v, want CLIENT_ERROR: %q...", tt.src, err, tt.prefix)
		}
	}
}

// BenchmarkGitFetch compares Fetch with a plain git clone of the same
// repository in the same run.
func BenchmarkGitFetch(b *testing.B) {
	needGit(b)
	f := newFixture(b)
	root := b.TempDir()
	n := 0
	dir := func() string {
		n++
		d := filepath.Join(root, strconv.Itoa(n))
		if err := os.Mkdir(d, 0o755); err != nil {
			b.Fatal(err)
		}
		return d
	}
	plain := func(args ...string) func(b *testing.B) {
		return func(b *testing.B) {
			for b.Loop() {
				cmd := exec.Command("git", append(args, f.url, dir())...)
				cmd.Env = append(os.Environ(), gitEnv...)
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("git clone: %v\n%s", err, out)
				}
			}
		}
	}
	fetch := func(src source.Git) func(b *testing.B) {
		return func(b *testing.B) {
			src.Location = f.url
			for b.Loop() {
				if _, err := src.Fetch(b.Context(), dir()); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	b.Run("git-clone-depth1", plain("clone", "-q", "--depth=1"))
	b.Run("Fetch-depth1", fetch(source.Git{Depth: 1}))
	b.Run("Fetch-branch-depth1", fetch(source.Git{Version: "dev", Depth: 1}))
	b.Run("Fetch-commit-depth1", fetch(source.Git{Version: f.c2, Depth: 1}))
	b.Run("Fetch-pr-depth1", fetch(source.Git{Version: "pr/7", Depth: 1}))
	b.Run("git-clone", plain("clone", "-q"))
	b.Run("Fetch", fetch(source.Git{}))
	b.Run("git-clone-submodules-depth1", plain("-c", "protocol.file.allow=always", "clone", "-q", "--depth=1", "--recurse-submodules", "--shallow-submodules"))
	b.Run("Fetch-submodules-depth1", fetch(source.Git{Depth: 1, Submodules: true}))
}
