package docker_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/codeyard/codeyard/internal/build"
	"github.com/codeyard/codeyard/internal/executor/docker"
	"github.com/codeyard/codeyard/internal/executor/executortest"
)

// debianImage is the Debian image (bash, dash as sh, git) scripts/test
// builds from the host's packages.
func debianImage() string {
	if s := os.Getenv("CODEYARD_TEST_DEBIAN_IMAGE"); s != "" {
		return s
	}
	return "localhost/codeyard-test/debian:12"
}

// debian returns an executor whose engine has the Debian image, or skips.
func debian(t *testing.T) *docker.Executor {
	t.Helper()
	x := engine(t, docker.Options{Network: "none"})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := rawClient(t).ImageInspect(ctx, debianImage()); err != nil {
		t.Skipf("test image %s missing (scripts/test-images builds it): %v", debianImage(), err)
	}
	return x
}

// TestConformanceDebian runs the executor conformance suite in an image
// whose /bin/sh is dash, as on CodeBuild's Ubuntu images, not busybox.
func TestConformanceDebian(t *testing.T) {
	x := debian(t)
	executortest.Run(t, executortest.Env{
		New:    func(t *testing.T) build.Executor { return x },
		SrcDir: srcDir,
		Alive:  alive(t, rawClient(t)),
		Image:  debianImage(),
	})
}

// TestDebianBashAndGit runs a whole build with `shell: bash` in the
// Debian image on a source that is a git checkout: bash's own syntax
// works, variables and the directory carry from command to command and
// phase to phase (past a phase of another run-as user) as in CodeBuild's
// shell, git reads the checkout, also as the run-as user the source is
// handed to, and exported variables come back.
func TestDebianBashAndGit(t *testing.T) {
	t.Parallel()
	x := debian(t)
	spec := `version: 0.2
env:
  shell: bash
  exported-variables:
    - HEAD_SHA
phases:
  install:
    commands:
      - 'declare -a tools=(git bash); echo "tools ${#tools[@]}: ${tools[*]}"'
      - '[[ "$BASH_VERSION" == 5.* ]] && echo "bash $BASH_VERSION"'
      - git config --global --add safe.directory '*'
      - shopt -s extglob; cd sub; MARK=set-in-install
  pre_build:
    run-as: builder
    commands:
      - id -un
      - git -C "$CODEBUILD_SRC_DIR" rev-parse --short HEAD | sed 's/^/short=/'
  build:
    commands:
      - pwd | sed "s|$CODEBUILD_SRC_DIR|SRC|"; echo "mark=$MARK"
      - cd "$CODEBUILD_SRC_DIR"
      - export HEAD_SHA=$(git rev-parse HEAD)
      - git log -1 --format='subject=%s' && git status --porcelain | wc -l | sed 's/^/dirty=/'
      - set -o pipefail; false | true || echo "pipefail seen"
`
	var want string
	b, log := engineBuild(t, x, spec, func(r *build.Request) {
		r.Image = debianImage()
		git := func(args ...string) string {
			cmd := exec.Command("git", args...)
			cmd.Dir = r.Workspace
			cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=a", "GIT_AUTHOR_EMAIL=a@example.com",
				"GIT_COMMITTER_NAME=a", "GIT_COMMITTER_EMAIL=a@example.com")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("git %v: %v\n%s", args, err, out)
			}
			return strings.TrimSpace(string(out))
		}
		os.MkdirAll(filepath.Join(r.Workspace, "sub"), 0o755)
		os.WriteFile(filepath.Join(r.Workspace, "sub", "f.txt"), []byte("x\n"), 0o644)
		git("init", "-q")
		git("add", ".")
		git("commit", "-q", "-m", "the first commit")
		want = git("rev-parse", "HEAD")
	})
	for _, s := range []string{
		"tools 2: git bash\n", "\nbash 5.", "\nSRC/sub\nmark=set-in-install\n", "\nsubject=the first commit\ndirty=0\n",
		"\npipefail seen\n", "\nbuilder\n", "\nshort=" + want[:7] + "\n",
	} {
		if !strings.Contains(log, s) {
			t.Errorf("log lacks %q", s)
		}
	}
	if b.Status != build.StatusSucceeded || len(b.Exported) != 1 || b.Exported[0] != (build.Var{Name: "HEAD_SHA", Value: want}) {
		t.Errorf("build %s, exported %v (want HEAD_SHA=%s)\n%s", b.Status, b.Exported, want, log)
	}
}

// TestBashMissing asks for `shell: bash` in the busybox image, which has
// none: the command fails, saying so.
func TestBashMissing(t *testing.T) {
	t.Parallel()
	x := engine(t, docker.Options{Network: "none"})
	b, log := engineBuild(t, x, "version: 0.2\nenv:\n  shell: bash\nphases:\n  build:\n    commands:\n      - echo never\n", nil)
	if b.Status != build.StatusFailed || !strings.Contains(log, "shell bash: not found in the build image") || strings.Contains(log, "\nnever\n") {
		t.Errorf("bash missing: %s\n%s", b.Status, log)
	}
}
