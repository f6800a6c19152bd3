package docker_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/codeyard/codeyard/internal/build"
	"github.com/codeyard/codeyard/internal/executor/docker"
)

// syncBuffer is a log two goroutines share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// podmanService starts a Podman API service of its own on sock (the
// same image store as the one DOCKER_HOST names) and returns its stop.
func podmanService(t *testing.T, sock string) func() {
	t.Helper()
	os.Remove(sock) // a killed service's
	cmd := exec.Command("podman", "--runtime", "runc", "system", "service", "--time=0", "unix://"+sock)
	if err := cmd.Start(); err != nil {
		t.Skipf("no podman to start a service of its own: %v", err)
	}
	for i := 0; i < 100; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
	}
	t.Cleanup(stop)
	return stop
}

func podmanInspect(t *testing.T, id, format string) string {
	out, err := exec.Command("podman", "--runtime", "runc", "container", "inspect", "--format", format, id).CombinedOutput()
	if err != nil {
		return "gone: " + strings.TrimSpace(string(out))
	}
	return strings.TrimSpace(string(out))
}

// TestEngineGoesAway stops the engine while a build's command runs: the
// command ends at once with a context naming the lost engine, the build
// ends FAULT (the platform's failure, not the build's), nothing of it keeps running, and the container, which the
// engine could not remove then, goes with the next build's Setup once
// the engine is back.
func TestEngineGoesAway(t *testing.T) {
	engine(t, docker.Options{}) // skips without an engine or the image
	if _, err := exec.LookPath("podman"); err != nil {
		t.Skip("needs podman to stop and start an engine of its own")
	}
	sock := filepath.Join(t.TempDir(), "podman.sock")
	stop := podmanService(t, sock)
	x, err := docker.New(docker.Options{Host: "unix://" + sock, Network: "none"})
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	if err := x.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	cancel()
	ws := t.TempDir()
	req := &build.Request{
		UUID: strconv.FormatInt(time.Now().UnixNano(), 10), Project: "away", Region: "us-east-1", Account: "123456789012",
		Image: testImage(), Workspace: ws, SrcDir: srcDir(""), CacheRoot: filepath.Join(t.TempDir(), "cache"),
		Buildspec: "version: 0.2\nphases:\n  build:\n    commands:\n      - echo started; cat /proc/1/cgroup >/dev/null; sleep 30\n      - echo never\n",
	}
	var log syncBuffer
	done := make(chan *build.Build, 1)
	start := time.Now()
	go func() { done <- build.NewEngine(x, nil).Run(t.Context(), req, &log) }()
	for !strings.Contains(log.String(), "\nstarted\n") {
		if time.Since(start) > 60*time.Second {
			t.Fatalf("the build did not start:\n%s", log.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// The build's container, found through the engine DOCKER_HOST names
	// (the same store).
	id := ""
	out, _ := exec.Command("podman", "--runtime", "runc", "ps", "-q", "--no-trunc", "--filter", "label=io.codeyard.build="+req.Project+":"+req.UUID).Output()
	id = strings.TrimSpace(string(out))
	if id == "" {
		t.Fatalf("no container for the build")
	}
	stop()
	var b *build.Build
	select {
	case b = <-done:
	case <-time.After(60 * time.Second):
		t.Fatalf("the build did not end after the engine went away:\n%s", log.String())
	}
	l := log.String()
	if b.Status != build.StatusFault || !strings.Contains(l, "INTERNAL_ERROR Message: lost the container engine") || strings.Contains(l, "\nnever\n") {
		t.Errorf("build after the engine went away: %s\n%s", b.Status, l)
	}
	if st := podmanInspect(t, id, "{{.State.Status}}"); st == "running" {
		t.Errorf("the build's container still runs after its build ended")
	}
	// The engine comes back: the next Setup removes the leftover.
	podmanService(t, sock)
	p := &build.Plan{BuildID: "test:after-away-" + req.UUID, Image: testImage(), Workspace: t.TempDir(), SrcDir: srcDir(""), Version: "0.2", Shell: build.ShellSh}
	if err := x.Setup(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	x.Destroy(context.Background(), p)
	if st := podmanInspect(t, id, "{{.State.Status}}"); !strings.HasPrefix(st, "gone") {
		t.Errorf("the leftover container is %s after the next Setup, want it removed", st)
	}
}

// TestDiskFull runs a build that fills its disk (a 16 MiB tmpfs holds the
// source directory): the command fails with the system's message, the
// build ends FAILED in BUILD with COMMAND_EXECUTION_ERROR, post_build
// still runs and frees the space, and the container is gone after.
func TestDiskFull(t *testing.T) {
	t.Parallel()
	x := engine(t, docker.Options{Network: "none"})
	small := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", small).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small file system here: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("umount", small).Run() })
	spec := `version: 0.2
phases:
  build:
    commands:
      - dd if=/dev/zero of=big bs=1M count=40
      - echo never
  post_build:
    commands:
      - rm -f big && echo freed
`
	b, log := engineBuild(t, x, spec, func(r *build.Request) { r.Workspace = small })
	var ph *build.Phase
	for i := range b.Phases {
		if b.Phases[i].Type == build.PhaseBuild {
			ph = &b.Phases[i]
		}
	}
	if b.Status != build.StatusFailed || ph == nil || ph.Status != build.StatusFailed || len(ph.Contexts) != 1 || ph.Contexts[0].StatusCode != "COMMAND_EXECUTION_ERROR" ||
		!strings.Contains(log, "No space left on device") || strings.Contains(log, "\nnever\n") || !strings.Contains(log, "\nfreed\n") {
		t.Errorf("build that fills its disk: %s, BUILD %+v\n%s", b.Status, ph, log)
	}
	if n := containers(t, rawClient(t), b.ID); n != 0 {
		t.Errorf("%d containers left after the build", n)
	}
}

// TestVersion01ClosesEachShell runs many commands of a 0.1 plan, a shell
// each: the command FIFO of every ended shell is closed as its end is
// read, so codeyard's open files do not grow with the commands.
func TestVersion01ClosesEachShell(t *testing.T) {
	x := engine(t, docker.Options{Network: "none"})
	p := setup(t, x, testImage())
	p.Version = "0.1"
	fds := func() int {
		es, err := os.ReadDir("/proc/self/fd")
		if err != nil {
			t.Skipf("no /proc/self/fd: %v", err)
		}
		return len(es)
	}
	var first int
	for i := range 100 {
		if code, out := run(t, x, p, "echo "+strconv.Itoa(i)); code != 0 || out != strconv.Itoa(i)+"\n" {
			t.Fatalf("command %d: %d %q", i, code, out)
		}
		if i == 1 {
			first = fds()
		}
	}
	if n := fds(); n > first+10 {
		t.Errorf("open files grew from %d to %d over 100 commands of a 0.1 build", first, n)
	}
}
