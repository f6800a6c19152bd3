package docker_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/moby/client"

	"github.com/codeyard/codeyard/internal/build"
	"github.com/codeyard/codeyard/internal/executor/docker"
	"github.com/codeyard/codeyard/internal/executor/executortest"
)

// testImage is the busybox image scripts/test builds.
func testImage() string {
	if s := os.Getenv("CODEYARD_TEST_IMAGE"); s != "" {
		return s
	}
	return "localhost/codeyard-test/busybox:latest"
}

// engine returns an executor on the engine DOCKER_HOST names, or skips
// the test when there is none or it lacks the test image.
func engine(t testing.TB, o docker.Options) *docker.Executor {
	t.Helper()
	if testing.Short() {
		t.Skip("container tests skipped under -short")
	}
	if os.Getenv("DOCKER_HOST") == "" {
		if _, err := os.Stat("/var/run/docker.sock"); err != nil {
			t.Skip("no container engine: set DOCKER_HOST (scripts/test starts Podman and sets it)")
		}
	}
	x, err := docker.New(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := x.Ping(ctx); err != nil {
		t.Skipf("no container engine: %v", err)
	}
	c := rawClient(t)
	if _, err := c.ImageInspect(ctx, testImage()); err != nil {
		t.Skipf("test image %s missing (scripts/test builds it): %v", testImage(), err)
	}
	return x
}

func rawClient(t testing.TB) *client.Client {
	c, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// srcDir is a CodeBuild-like source directory.
func srcDir(string) string {
	n, _ := rand.Int(rand.Reader, big.NewInt(1e9))
	return fmt.Sprintf("/codebuild/output/src%09d/src", n.Int64())
}

// alive reports whether pid (in the build container's pid namespace) is
// running: it looks for the container's processes in the host's /proc,
// which works where the engine runs on this host (Podman here).
func alive(t testing.TB, c *client.Client) func(p *build.Plan, pid string) bool {
	return func(p *build.Plan, pid string) bool {
		res, err := c.ContainerList(context.Background(), client.ContainerListOptions{All: true,
			Filters: client.Filters{}.Add("label", "io.codeyard.build="+p.BuildID)})
		if err != nil || len(res.Items) == 0 {
			return false
		}
		in, err := c.ContainerInspect(context.Background(), res.Items[0].ID, client.ContainerInspectOptions{})
		if err != nil || in.Container.State == nil || !in.Container.State.Running || in.Container.State.Pid == 0 {
			return false
		}
		ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", in.Container.State.Pid))
		if err != nil {
			return false
		}
		entries, _ := os.ReadDir("/proc")
		for _, e := range entries {
			if _, err := strconv.Atoi(e.Name()); err != nil {
				continue
			}
			if l, _ := os.Readlink("/proc/" + e.Name() + "/ns/pid"); l != ns {
				continue
			}
			status, err := os.ReadFile("/proc/" + e.Name() + "/status")
			if err != nil {
				continue
			}
			var nspid, state string
			for _, line := range strings.Split(string(status), "\n") {
				if v, ok := strings.CutPrefix(line, "NSpid:"); ok {
					f := strings.Fields(v)
					nspid = f[len(f)-1]
				}
				if v, ok := strings.CutPrefix(line, "State:"); ok {
					state = strings.TrimSpace(v)
				}
			}
			if nspid == pid && !strings.HasPrefix(state, "Z") {
				return true
			}
		}
		return false
	}
}

func TestConformance(t *testing.T) {
	x := engine(t, docker.Options{Network: "none"})
	executortest.Run(t, executortest.Env{
		New:    func(t *testing.T) build.Executor { return x },
		SrcDir: srcDir,
		Alive:  alive(t, rawClient(t)),
		Image:  testImage(),
	})
}

// setup returns a set-up 0.2 plan on x's image.
func setup(t *testing.T, x build.Executor, image string) *build.Plan {
	t.Helper()
	ws := t.TempDir()
	p := &build.Plan{BuildID: "test:" + strings.ReplaceAll(t.Name(), "/", "-") + "-" + strconv.FormatInt(time.Now().UnixNano(), 36),
		Image: image, Workspace: ws, SrcDir: srcDir(ws), Version: "0.2", Shell: build.ShellSh}
	if err := x.Setup(t.Context(), p); err != nil {
		t.Cleanup(func() { x.Destroy(context.Background(), p) })
		return p
	}
	t.Cleanup(func() {
		if err := x.Destroy(context.Background(), p); err != nil {
			t.Errorf("Destroy: %v", err)
		}
	})
	return p
}

func run(t *testing.T, x build.Executor, p *build.Plan, cmd string) (int, string) {
	t.Helper()
	var buf bytes.Buffer
	code, err := x.Run(t.Context(), p, build.Step{Phase: build.PhaseBuild, Command: cmd}, &buf)
	if err != nil {
		t.Fatalf("Run(%q): %v", cmd, err)
	}
	return code, buf.String()
}

// containers lists the containers of a build, running or not.
func containers(t *testing.T, c *client.Client, buildID string) int {
	res, err := c.ContainerList(context.Background(), client.ContainerListOptions{All: true,
		Filters: client.Filters{}.Add("label", "io.codeyard.build="+buildID)})
	if err != nil {
		t.Fatal(err)
	}
	return len(res.Items)
}

func TestSourceAndEnvironment(t *testing.T) {
	t.Parallel()
	x := engine(t, docker.Options{Network: "none"})
	p := setup(t, x, testImage())
	os.WriteFile(filepath.Join(p.Workspace, "hello.txt"), []byte("from the host\n"), 0o644)
	p.Env = []string{"CODEBUILD_SRC_DIR=" + p.SrcDir, "GREETING=it's me"}
	code, out := run(t, x, p, `echo "$PWD"; echo "$CODEBUILD_SRC_DIR"; cat hello.txt; echo "$GREETING"; echo made > made.txt; echo "path=$PATH"`)
	want := p.SrcDir + "\n" + p.SrcDir + "\nfrom the host\nit's me\n"
	if code != 0 || !strings.HasPrefix(out, want) || !strings.Contains(out, "path=/") {
		t.Errorf("Run = %d, %q; want 0, %q then the image's PATH", code, out, want)
	}
	if b, err := os.ReadFile(filepath.Join(p.Workspace, "made.txt")); err != nil || string(b) != "made\n" {
		t.Errorf("a file the build wrote: %q, %v", b, err)
	}
}

func TestIsolation(t *testing.T) {
	t.Parallel()
	x := engine(t, docker.Options{Network: "none"})
	// A file of codeyard's own (its data directory) and another build's
	// workspace: neither is visible in the container.
	data := t.TempDir()
	os.WriteFile(filepath.Join(data, "codeyard.db"), []byte("secret"), 0o600)
	other := setup(t, x, testImage())
	os.WriteFile(filepath.Join(other.Workspace, "other.txt"), []byte("other build"), 0o644)
	p := setup(t, x, testImage())
	for _, path := range []string{filepath.Join(data, "codeyard.db"), filepath.Join(other.Workspace, "other.txt"), other.SrcDir} {
		code, out := run(t, x, p, "cat "+path+" || ls "+path)
		if code == 0 || strings.Contains(out, "secret") || strings.Contains(out, "other build") {
			t.Errorf("the build could read %s: %d %q", path, code, out)
		}
	}
	// The control directory holds only FIFOs and the build's own files.
	code, out := run(t, x, p, "ls /codebuild/output/.codeyard")
	if code != 0 || strings.Contains(out, "db") {
		t.Errorf("control directory: %d %q", code, out)
	}
}

func TestRunAs(t *testing.T) {
	t.Parallel()
	x := engine(t, docker.Options{Network: "none"})
	p := setup(t, x, testImage())
	p.Env = []string{"GREETING=hi"}
	os.WriteFile(filepath.Join(p.Workspace, "f"), []byte("x"), 0o644)
	steps := []struct {
		runAs, cmd, want string
		code             int
	}{
		{"", "X=root-var; id -u", "0\n", 0},
		{"builder", "id -un; echo $GREETING; touch mine; Y=kept", "builder\nhi\n", 0},
		{"builder", "echo y=$Y", "y=kept\n", 0},
		{"", "echo x=$X", "x=root-var\n", 0},
		{"nosuchuser", "true", "", -1},
	}
	for _, s := range steps {
		var buf bytes.Buffer
		code, err := x.Run(t.Context(), p, build.Step{Command: s.cmd, RunAs: s.runAs}, &buf)
		if s.code == -1 {
			if err == nil {
				t.Errorf("run as %s: no error", s.runAs)
			}
			continue
		}
		if err != nil || code != s.code || buf.String() != s.want {
			t.Errorf("run %q as %q = %d, %q, %v; want %d, %q", s.cmd, s.runAs, code, buf.String(), err, s.code, s.want)
		}
	}
	x.Destroy(context.Background(), p)
	fi, err := os.Stat(filepath.Join(p.Workspace, "f"))
	if err != nil {
		t.Fatal(err)
	}
	if uid := fi.Sys().(*syscall.Stat_t).Uid; uid != uint32(os.Getuid()) {
		t.Errorf("after Destroy the source belongs to uid %d, want %d", uid, os.Getuid())
	}
}

func TestMissingImage(t *testing.T) {
	t.Parallel()
	x := engine(t, docker.Options{Images: map[string]string{"aws/codebuild/standard:7.0": "localhost/codeyard-test/nothing:1"}})
	for _, image := range []string{"aws/codebuild/standard:7.0", "aws/codebuild/amazonlinux2-x86_64-standard:5.0", "localhost/codeyard-test/nothing:2"} {
		p := &build.Plan{BuildID: "test:missing", Image: image, Workspace: t.TempDir(), SrcDir: "/codebuild/output/src1/src"}
		start := time.Now()
		err := x.Setup(t.Context(), p)
		x.Destroy(context.Background(), p)
		var ce *build.ContextError
		if !errorsAs(err, &ce) || !strings.Contains(ce.Message, image) || !strings.Contains(ce.Message, "cannot be pulled") {
			t.Errorf("Setup(%s) = %v, want a CLIENT_ERROR naming the image", image, err)
		}
		if d := time.Since(start); d > 30*time.Second {
			t.Errorf("Setup(%s) took %v", image, d)
		}
	}
}

func TestImageWithoutShell(t *testing.T) {
	t.Parallel()
	x := engine(t, docker.Options{Network: "none"})
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "hello"), []byte("x"), 0o644)
	tarPath := filepath.Join(dir, "img.tar")
	if out, err := exec.Command("tar", "-C", dir, "-cf", tarPath, "hello").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	f, _ := os.Open(tarPath)
	defer f.Close()
	c := rawClient(t)
	name := "localhost/codeyard-test/noshell:latest"
	res, err := c.ImageImport(t.Context(), client.ImageImportSource{Source: f, SourceName: "-"}, name, client.ImageImportOptions{})
	if err != nil {
		t.Skipf("image import: %v", err)
	}
	res.Close()
	p := &build.Plan{BuildID: "test:noshell", Image: name, Workspace: t.TempDir(), SrcDir: "/codebuild/output/src2/src"}
	err = x.Setup(t.Context(), p)
	x.Destroy(context.Background(), p)
	var ce *build.ContextError
	if !errorsAs(err, &ce) || !strings.Contains(ce.Message, "sh") {
		t.Errorf("Setup on an image without sh = %v, want a CLIENT_ERROR about sh", err)
	}
	if n := containers(t, c, p.BuildID); n != 0 {
		t.Errorf("%d containers left behind", n)
	}
}

func TestStopKillsWithinFiveSeconds(t *testing.T) {
	t.Parallel()
	x := engine(t, docker.Options{Network: "none"})
	p := setup(t, x, testImage())
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := x.Run(ctx, p, build.Step{Command: "trap '' TERM; sleep 300"}, &bytes.Buffer{})
		done <- err
	}()
	time.Sleep(500 * time.Millisecond)
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err == nil {
			t.Error("Run after cancel: nil error")
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("Run returned %v after cancel, want < 5s", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return within 10s of cancel")
	}
	if err := x.Destroy(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	if n := containers(t, rawClient(t), p.BuildID); n != 0 {
		t.Errorf("%d containers left after Destroy", n)
	}
}

func TestContainerDeathFaultsTheStep(t *testing.T) {
	t.Parallel()
	x := engine(t, docker.Options{Network: "none"})
	p := setup(t, x, testImage())
	c := rawClient(t)
	go func() {
		time.Sleep(500 * time.Millisecond)
		res, _ := c.ContainerList(context.Background(), client.ContainerListOptions{Filters: client.Filters{}.Add("label", "io.codeyard.build="+p.BuildID)})
		for _, it := range res.Items {
			c.ContainerKill(context.Background(), it.ID, client.ContainerKillOptions{Signal: "KILL"})
		}
	}()
	start := time.Now()
	_, err := x.Run(t.Context(), p, build.Step{Command: "sleep 300"}, &bytes.Buffer{})
	if err == nil || !strings.Contains(err.Error(), "container exited") {
		t.Errorf("Run in a container that was killed = %v, want an error saying it exited", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Run took %v", d)
	}
}

// TestReapOrphans starts a helper process that sets up a build and dies
// without Destroy: Reap from this process removes its container.
func TestReapOrphans(t *testing.T) {
	t.Parallel()
	x := engine(t, docker.Options{Network: "none"})
	id := "test:orphan-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperOrphan$")
	cmd.Env = append(os.Environ(), "CODEYARD_HELPER_ORPHAN="+id)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("helper: %v\n%s", err, out)
	}
	c := rawClient(t)
	if n := containers(t, c, id); n != 1 {
		t.Fatalf("the helper left %d containers, want 1", n)
	}
	// A live build of this process is not reaped.
	live := setup(t, x, testImage())
	if _, err := x.Reap(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := containers(t, c, id); n != 0 {
		t.Errorf("Reap left the orphan's container")
	}
	if n := containers(t, c, live.BuildID); n != 1 {
		t.Errorf("Reap removed a live build's container")
	}
}

func TestHelperOrphan(t *testing.T) {
	id := os.Getenv("CODEYARD_HELPER_ORPHAN")
	if id == "" {
		t.Skip("helper for TestReapOrphans")
	}
	x, err := docker.New(docker.Options{Network: "none"})
	if err != nil {
		t.Fatal(err)
	}
	p := &build.Plan{BuildID: id, Image: testImage(), Workspace: t.TempDir(), SrcDir: "/codebuild/output/src3/src"}
	if err := x.Setup(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	os.Exit(0) // a crash: no Destroy
}

func TestComputeTypeLimits(t *testing.T) {
	t.Parallel()
	x := engine(t, docker.Options{Network: "none", ComputeTypes: map[string]docker.Resources{"BUILD_GENERAL1_SMALL": {CPUs: 1, Memory: 256 << 20}}})
	p := setup(t, x.With(docker.Environment{ComputeType: "BUILD_GENERAL1_SMALL"}), testImage())
	xs := x.With(docker.Environment{ComputeType: "BUILD_GENERAL1_SMALL"})
	code, out := run(t, xs, p, "cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes")
	if code != 0 || strings.TrimSpace(out) != strconv.Itoa(256<<20) {
		t.Errorf("memory limit in the container = %d %q, want %d", code, out, 256<<20)
	}
	q := &build.Plan{BuildID: "test:badcompute", Image: testImage(), Workspace: t.TempDir(), SrcDir: "/codebuild/output/src4/src"}
	err := x.With(docker.Environment{ComputeType: "BUILD_LAMBDA_1GB"}).Setup(t.Context(), q)
	x.Destroy(context.Background(), q)
	if err == nil {
		t.Error("Setup with an unknown compute type succeeded")
	}
}

func errorsAs(err error, target **build.ContextError) bool {
	for err != nil {
		if ce, ok := err.(*build.ContextError); ok {
			*target = ce
			return true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		err = u.Unwrap()
	}
	return false
}

// TestTools mounts a static multi-call binary (busybox stands in for
// codeyard) with links of the helper commands' names.
func TestTools(t *testing.T) {
	t.Parallel()
	if ok, err := docker.Static("/bin/busybox"); err != nil || !ok {
		t.Skipf("no static /bin/busybox (%v)", err)
	}
	x := engine(t, docker.Options{Network: "none", Tools: docker.Tools{Binary: "/bin/busybox", Names: []string{"uname", "cy-hash"}}})
	p := setup(t, x, testImage())
	code, out := run(t, x, p, `echo "$PATH"; command -v cy-hash; /codebuild/bin/uname -s; touch /codebuild/bin/x 2>/dev/null && echo writable; true`)
	want := "/bin:/codebuild/bin\n/codebuild/bin/cy-hash\nLinux\n"
	if code != 0 || out != want {
		t.Errorf("helper commands in the container: %d %q, want 0 %q", code, out, want)
	}
	if _, err := docker.New(docker.Options{Tools: docker.Tools{Binary: os.Args[0]}}); err == nil {
		if ok, _ := docker.Static(os.Args[0]); !ok {
			t.Error("New accepted a dynamically linked helper binary")
		}
	}
}
