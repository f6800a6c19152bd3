// Package executortest is the conformance suite every build.Executor
// passes: the same plans, the same exit codes, the same output, the same
// shell-instance semantics, and prompt stops.
package executortest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codeyard/codeyard/internal/build"
)

// Factory returns a fresh executor for one test.
type Factory func(t *testing.T) build.Executor

// Env describes the environment plans run in. Workspace returns a host
// directory for a plan's source; SrcDir maps it to the path commands see
// (the same path for host executors).
type Env struct {
	New    Factory
	SrcDir func(workspace string) string
	// BaseEnv is the environment every plan gets, such as PATH.
	BaseEnv []string
	// Alive, when set, reports whether the process a plan's command wrote
	// the pid of is still running (a zombie counts as dead): for
	// executors whose processes have pids of their own (a container's).
	// Unset: the pid is a host pid.
	Alive func(p *build.Plan, pid string) bool
	// Image is the plans' build image.
	Image string
}

var planSeq struct {
	sync.Mutex
	n int
}

// plan returns a set-up plan of version v with one phase of steps.
func setup(t *testing.T, e Env, x build.Executor, version string) *build.Plan {
	t.Helper()
	planSeq.Lock()
	planSeq.n++
	id := fmt.Sprintf("conformance:%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), planSeq.n)
	planSeq.Unlock()
	ws := t.TempDir()
	p := &build.Plan{BuildID: id, Image: e.Image, Workspace: ws, SrcDir: e.SrcDir(ws)}
	if err := x.Setup(t.Context(), p); err != nil {
		t.Fatalf("Setup: %v", err)
	}
	t.Cleanup(func() {
		if err := x.Destroy(context.Background(), p); err != nil {
			t.Errorf("Destroy: %v", err)
		}
	})
	p.Version = version
	p.Shell = build.ShellSh
	p.Env = append([]string{"GREETING=hello"}, e.BaseEnv...)
	return p
}

// anyOutput in a wanted result matches whatever the command printed.
const anyOutput = "\x00any"

type result struct {
	code int
	out  string
}

func run(t *testing.T, x build.Executor, p *build.Plan, cmds ...string) []result {
	t.Helper()
	var res []result
	for _, c := range cmds {
		var buf bytes.Buffer
		code, err := x.Run(t.Context(), p, build.Step{Phase: build.PhaseBuild, Command: c}, &buf)
		if err != nil {
			t.Fatalf("Run(%q): %v", c, err)
		}
		res = append(res, result{code, buf.String()})
	}
	return res
}

// Run runs the conformance suite.
func Run(t *testing.T, e Env) {
	tests := []struct {
		name    string
		version string
		cmds    []string
		want    []result
	}{
		{"exit codes", "0.2", []string{"true", "false", "exit 7", "sh -c 'exit 3'"},
			[]result{{0, ""}, {1, ""}, {7, ""}, {3, ""}}},
		{"stdout and stderr merged in order", "0.2", []string{"echo out; echo err >&2; echo out2"},
			[]result{{0, "out\nerr\nout2\n"}}},
		{"output without newline", "0.2", []string{"printf abc", "printf def"},
			[]result{{0, "abc"}, {0, "def"}}},
		{"variables persist in 0.2", "0.2", []string{"X=1", "echo x=$X", "export Y=2", "sh -c 'echo y=$Y'"},
			[]result{{0, ""}, {0, "x=1\n"}, {0, ""}, {0, "y=2\n"}}},
		{"functions persist in 0.2", "0.2", []string{"f() { echo f:$1; }", "f a"},
			[]result{{0, ""}, {0, "f:a\n"}}},
		{"working directory persists in 0.2", "0.2", []string{"mkdir -p sub && cd sub", "basename \"$PWD\""},
			[]result{{0, ""}, {0, "sub\n"}}},
		{"nothing persists in 0.1", "0.1", []string{"X=1; export Y=2; mkdir -p d; cd d", "echo \"x=$X y=$Y $(basename \"$PWD\")\""},
			nil},
		{"exit keeps exported variables and the directory", "0.2",
			[]string{"X=1; export E='it''s'; mkdir -p d && cd d", "exit 4", "echo x=${X-unset} e=$E dir=$(basename \"$PWD\")"},
			[]result{{0, ""}, {4, ""}, {0, "x=unset e=its dir=d\n"}}},
		{"nothing of an exit leaks into 0.1", "0.1", []string{"export E=1; exit 4", "echo e=${E-unset}"},
			[]result{{4, ""}, {0, "e=unset\n"}}},
		{"set -e ends the shell on failure", "0.2", []string{"set -e", "false", "echo alive"},
			[]result{{0, ""}, {1, ""}, {0, "alive\n"}}},
		{"multi-line command is one script", "0.2", []string{"for i in 1 2 3; do\n  echo $i\ndone\nfalse\necho last"},
			[]result{{0, "1\n2\n3\nlast\n"}}},
		{"redirected stdout cannot hide the end", "0.2", []string{"exec >/dev/null", "echo hidden", "exec >&2"},
			[]result{{0, ""}, {0, ""}, {0, ""}}},
		{"quotes, backslashes and here-documents survive", "0.2",
			[]string{`printf '%s|' 'single' "double" \\back\\ \$'x' "it's"; echo`, "cat <<'EOF'\nline 1 'q'\n  $NOT_EXPANDED\nEOF", "printf 'a\\tb\\r\\n'"},
			[]result{{0, "single|double|\\back\\|$x|it's|\n"}, {0, "line 1 'q'\n  $NOT_EXPANDED\n"}, {0, "a\tb\r\n"}}},
		{"a syntax error fails the command", "0.2", []string{"X=kept", "if then", "echo ${X-gone}"},
			[]result{{0, ""}, {2, anyOutput}, {0, "gone\n"}}},
		{"descriptors 0-9 are the commands' own", "0.2",
			[]string{"exec 9>lockfile", "echo locked >&9 && cat lockfile", "exec 8</dev/null; export KEEP=1", "echo keep=$KEEP; exec 9>&- 8<&-"},
			[]result{{0, ""}, {0, "locked\n"}, {0, ""}, {0, "keep=1\n"}}},
		{"set -u keeps the exit status", "0.2", []string{"set -u", "exit 3", "set -eu; false"},
			[]result{{0, ""}, {3, ""}, {1, ""}}},
		{"set -x shows only the commands", "0.2", []string{"set -x", "echo traced", "set +x", "echo quiet"},
			[]result{{0, ""}, {0, "+ echo traced\ntraced\n"}, {0, "+ set +x\n"}, {0, "quiet\n"}}},
		{"no controlling terminal", "0.2", []string{"echo x > /dev/tty || echo no-tty"},
			[]result{{0, anyOutput}}},
		{"environment reaches commands", "0.2", []string{"echo $GREETING"},
			[]result{{0, "hello\n"}}},
		{"binary and invalid UTF-8 output kept", "0.2", []string{`printf '\377\376\000x\n'`},
			[]result{{0, "\xff\xfe\x00x\n"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			x := e.New(t)
			p := setup(t, e, x, tt.version)
			got := run(t, x, p, tt.cmds...)
			want := tt.want
			if want == nil { // the 0.1 case
				want = []result{{0, ""}, {0, "x= y= " + filepath.Base(p.SrcDir) + "\n"}}
			}
			if tt.name == "no controlling terminal" && !strings.HasSuffix(got[0].out, "no-tty\n") {
				t.Errorf("a command could open /dev/tty: %q", got[0].out)
			}
			for i := range min(len(got), len(want)) {
				if want[i].out == anyOutput {
					got[i].out = anyOutput // the shell's own error text
				}
			}
			if fmt.Sprint(got) != fmt.Sprint(want) {
				t.Errorf("Run(%q):\n got %v\nwant %v", tt.cmds, got, want)
			}
		})
	}

	t.Run("step env applies from that step on", func(t *testing.T) {
		t.Parallel()
		x := e.New(t)
		p := setup(t, e, x, "0.2")
		var buf bytes.Buffer
		x.Run(t.Context(), p, build.Step{Command: "echo a=$S", Env: []string{"S=1"}}, &buf)
		x.Run(t.Context(), p, build.Step{Command: "echo b=$S"}, &buf)
		x.Run(t.Context(), p, build.Step{Command: "echo c=$S", Env: []string{"S=it's 0"}}, &buf)
		if got, want := buf.String(), "a=1\nb=1\nc=it's 0\n"; got != want {
			t.Errorf("output %q, want %q", got, want)
		}
	})

	t.Run("large output is complete", func(t *testing.T) {
		t.Parallel()
		x := e.New(t)
		p := setup(t, e, x, "0.2")
		var buf bytes.Buffer
		// 5 MB of numbered lines, no line lost or reordered.
		code, err := x.Run(t.Context(), p, build.Step{Command: "i=0; while [ $i -lt 200000 ]; do echo \"line $i padding-padding\"; i=$((i+1)); done"}, &buf)
		if err != nil || code != 0 {
			t.Fatalf("Run = %d, %v", code, err)
		}
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		if len(lines) != 200000 {
			t.Fatalf("got %d lines, want 200000", len(lines))
		}
		for i, l := range lines {
			if want := fmt.Sprintf("line %d padding-padding", i); l != want {
				t.Fatalf("line %d = %q, want %q", i, l, want)
			}
		}
	})

	t.Run("cancel kills the process tree promptly", func(t *testing.T) {
		t.Parallel()
		x := e.New(t)
		p := setup(t, e, x, "0.2")
		ctx, cancel := context.WithCancel(t.Context())
		var buf bytes.Buffer
		done := make(chan error, 1)
		start := time.Now()
		go func() {
			// A child that ignores SIGTERM, and a grandchild.
			_, err := x.Run(ctx, p, build.Step{Command: "trap '' TERM; (sleep 300; echo late > late.txt) & echo $! > child.pid; setsid sleep 300 & echo $! > escaped.pid; sleep 300; echo unreachable"}, &buf)
			done <- err
		}()
		time.Sleep(300 * time.Millisecond)
		cancel()
		select {
		case err := <-done:
			if err == nil {
				t.Errorf("Run after cancel returned nil error")
			}
			if d := time.Since(start); d > 6*time.Second {
				t.Errorf("Run took %v after cancel, want < 5s", d)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not return within 10s of cancel")
		}
		if strings.Contains(buf.String(), "unreachable") {
			t.Errorf("command went on after cancel: %q", buf.String())
		}
		for _, f := range []string{"child.pid", "escaped.pid"} {
			assertDead(t, e, p, filepath.Join(p.Workspace, f))
		}
	})

	t.Run("drain collects late output and ends everything", func(t *testing.T) {
		t.Parallel()
		x := e.New(t)
		d, ok := x.(build.Drainer)
		if !ok {
			t.Skip("executor has no Drain")
		}
		p := setup(t, e, x, "0.2")
		run(t, x, p, "(sleep 0.2; echo late-line) &", "setsid sleep 300 & echo $! > escaped.pid")
		var buf bytes.Buffer
		if err := d.Drain(t.Context(), p, &buf); err != nil {
			t.Fatal(err)
		}
		if buf.String() != "late-line\n" {
			t.Errorf("Drain copied %q, want the late line", buf.String())
		}
		assertDead(t, e, p, filepath.Join(p.Workspace, "escaped.pid"))
	})

	t.Run("read variables past a redirected stdout", func(t *testing.T) {
		t.Parallel()
		x := e.New(t)
		vr, ok := x.(build.VarReader)
		if !ok {
			t.Skip("executor has no ReadVars")
		}
		p := setup(t, e, x, "0.2")
		run(t, x, p, "export TAG='v 1'; EMPTY=; exec > out.txt 2>&1")
		got, err := vr.ReadVars(t.Context(), p, "", []string{"TAG", "EMPTY", "UNSET", "BAD-NAME"})
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]string{"TAG": "v 1", "EMPTY": ""}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("ReadVars = %v, want %v", got, want)
		}
	})

	t.Run("destroy twice and after failed setup", func(t *testing.T) {
		t.Parallel()
		x := e.New(t)
		p := &build.Plan{BuildID: "conformance:never-set-up"}
		if err := x.Setup(t.Context(), p); err == nil {
			t.Errorf("Setup of a plan without workspace succeeded")
		}
		if err := x.Destroy(context.Background(), p); err != nil {
			t.Errorf("Destroy after failed Setup: %v", err)
		}
		q := setup(t, e, x, "0.2")
		run(t, x, q, "true")
		if err := x.Destroy(context.Background(), q); err != nil {
			t.Errorf("Destroy: %v", err)
		}
		if err := x.Destroy(context.Background(), q); err != nil {
			t.Errorf("second Destroy: %v", err)
		}
	})

	t.Run("destroy ends background processes", func(t *testing.T) {
		t.Parallel()
		x := e.New(t)
		p := setup(t, e, x, "0.2")
		run(t, x, p, "(sleep 1; echo still-running > after.txt) >/dev/null 2>&1 &")
		if err := x.Destroy(context.Background(), p); err != nil {
			t.Fatalf("Destroy: %v", err)
		}
		time.Sleep(1500 * time.Millisecond)
		if _, err := os.Stat(filepath.Join(p.Workspace, "after.txt")); err == nil {
			t.Errorf("a background process outlived Destroy")
		}
	})
}

// assertDead fails the test if the process whose pid the file holds is
// still alive (a zombie counts as dead).
func assertDead(t *testing.T, e Env, p *build.Plan, pidFile string) {
	t.Helper()
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Errorf("read %s: %v", pidFile, err)
		return
	}
	pid := strings.TrimSpace(string(b))
	alive := e.Alive
	if alive == nil {
		alive = func(_ *build.Plan, pid string) bool {
			stat, err := os.ReadFile("/proc/" + pid + "/stat")
			return err == nil && !strings.Contains(string(stat), ") Z ")
		}
	}
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if !alive(p, pid) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("process %s (%s) outlived the build", pid, filepath.Base(pidFile))
}

func (r result) String() string { return fmt.Sprintf("{%d %q}", r.code, r.out) }
