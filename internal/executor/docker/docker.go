package docker

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/client"

	"github.com/codeyard/codeyard/internal/build"
)

var (
	_ build.Executor   = (*Executor)(nil)
	_ build.Checker    = (*Executor)(nil)
	_ build.Drainer    = (*Executor)(nil)
	_ build.VarReader  = (*Executor)(nil)
	_ build.Expander   = (*Executor)(nil)
	_ build.ListRunner = (*Executor)(nil)
)

// Executor runs plans in containers. One Executor can run many builds at
// once; each Plan is told apart by its BuildID. Executors made by With
// share the engine connection and the builds.
type Executor struct {
	*engine
	env Environment
}

// engine is what every Executor of one New shares.
type engine struct {
	c     *client.Client
	host  string
	o     Options
	owner string // this process, as the io.codeyard.owner label gives it

	mu   sync.Mutex // guards runs and leftover
	runs map[string]*state
	// leftover holds the containers Destroy could not remove (the engine
	// was away): their processes have ended, and the next Setup removes
	// them.
	leftover []string
}

// Environment is what a project's environment asks of its container.
type Environment struct {
	// ComputeType is a CodeBuild compute type (BUILD_GENERAL1_SMALL, ...);
	// empty means no limits.
	ComputeType string
	// Privileged runs the container privileged (privilegedMode), for
	// docker-in-docker builds.
	Privileged bool
	// Credential, when set, gives the registry user name and password a
	// pull of the image sends (a project's registryCredential). It is
	// called only when the image is pulled; its error fails the build's
	// PROVISIONING.
	Credential func(ctx context.Context) (username, password string, err error)
}

// Resources are the limits a compute type maps to.
type Resources struct {
	CPUs   float64
	Memory int64 // bytes
}

// Pull policies.
const (
	PullMissing = "missing" // use the local image, pull when missing (default)
	PullNever   = "never"   // use the local image only
	PullAlways  = "always"  // pull before every build
)

// Options configure an Executor.
type Options struct {
	// Host is the engine's address (unix:///run/podman/podman.sock,
	// tcp://...); empty means DOCKER_HOST, else the default socket.
	Host string
	// Grace is how long a stopped build's processes get between SIGTERM
	// and SIGKILL; default 2s.
	Grace time.Duration
	// Images maps image names (the curated aws/codebuild/... ones) to the
	// local images that stand in for them.
	Images map[string]string
	// Pull is the image pull policy: PullMissing (default), PullNever or
	// PullAlways.
	Pull string
	// ComputeTypes overrides or adds to DefaultComputeTypes.
	ComputeTypes map[string]Resources
	// Network is the container's network mode; empty: the engine's
	// default (bridge).
	Network string
	// Tools, when set, are helper commands every build container gets at
	// the end of its PATH.
	Tools Tools
}

// DefaultComputeTypes are CodeBuild's Linux compute types, sized as AWS
// sizes them.
var DefaultComputeTypes = map[string]Resources{
	"BUILD_GENERAL1_SMALL":   {CPUs: 2, Memory: 3 << 30},
	"BUILD_GENERAL1_MEDIUM":  {CPUs: 4, Memory: 7 << 30},
	"BUILD_GENERAL1_LARGE":   {CPUs: 8, Memory: 15 << 30},
	"BUILD_GENERAL1_XLARGE":  {CPUs: 36, Memory: 72 << 30},
	"BUILD_GENERAL1_2XLARGE": {CPUs: 72, Memory: 144 << 30},
}

// Labels on everything the executor creates.
const (
	labelExecutor = "io.codeyard.executor" // "docker"
	labelBuild    = "io.codeyard.build"    // the build id
	labelOwner    = "io.codeyard.owner"    // host/pid/start time of the codeyard process
	labelDir      = "io.codeyard.dir"      // the host control directory
)

// New returns a container executor talking to the engine at o.Host. It
// does not contact the engine; Ping does.
func New(o Options) (*Executor, error) {
	if o.Grace <= 0 {
		o.Grace = 2 * time.Second
	}
	switch o.Pull {
	case "":
		o.Pull = PullMissing
	case PullMissing, PullNever, PullAlways:
	default:
		return nil, fmt.Errorf("image pull policy %q: want missing, never or always", o.Pull)
	}
	if err := o.Tools.check(); err != nil {
		return nil, err
	}
	opts := []client.Opt{client.FromEnv}
	host := o.Host
	if host != "" {
		opts = append(opts, client.WithHost(host))
	} else if host = os.Getenv("DOCKER_HOST"); host == "" {
		host = "unix:///var/run/docker.sock"
	}
	c, err := client.New(opts...)
	if err != nil {
		return nil, fmt.Errorf("container engine %s: %w", host, err)
	}
	return &Executor{engine: &engine{c: c, host: host, o: o, owner: ownerID(), runs: map[string]*state{}}}, nil
}

// With returns an Executor for builds of environment env, sharing x's
// engine connection and builds.
func (x *Executor) With(env Environment) *Executor {
	return &Executor{engine: x.engine, env: env}
}

// Close closes the connection to the engine.
func (x *Executor) Close() error { return x.c.Close() }

// Ping checks that the engine answers.
func (x *Executor) Ping(ctx context.Context) error {
	if _, err := x.c.Ping(ctx, client.PingOptions{}); err != nil {
		return fmt.Errorf("container engine %s does not answer: %w", x.host, err)
	}
	return nil
}

// InContainer reports that builds run in a container of their image.
func (x *Executor) InContainer() bool { return true }

// Host is the engine's address.
func (x *Executor) Host() string { return x.host }

// state is what the Executor keeps for one Plan.
type state struct {
	id       string // the container
	dir      string // private host directory; dir/ctl is mounted
	ctl      string
	ctlW     *os.File // the supervisor's FIFO
	outR     *os.File // the build's output FIFO, pollable
	keep     *os.File // a writer of the output FIFO, so it never ends before Drain
	nonce    string
	prefix   []byte
	sessions map[string]*session // the current shell of each run-as user
	all      []*session
	nextSid  int
	buf      []byte
	carry    int
	waiter   string
	loop     string
	envDone  bool
	defsDone bool
	index    map[string]int // command text -> its number in defs
	owners   map[string][2]int
	given    map[string]bool // run-as users the source was given to

	exited  chan struct{} // closed when the container has exited
	exitMsg string        // why, when it was not codeyard's doing
	stopped bool          // codeyard killed the container
	drained bool
	killing bool
}

// session is one shell in the container.
type session struct {
	sid     int
	user    string
	cmdW    *os.File
	state   string // state file inside the container
	dead    bool   // its "w" sentinel was read
	code    int
	exiting bool // it ran exit: its "x" sentinel was read
	env     map[string]string
	defs    bool
}

// end has the session's shell leave its loop and exit. The command FIFO
// stays open (Destroy closes it): the shell reopens the FIFO for each
// line, and a FIFO that nobody holds loses what it buffers.
func (s *session) end() {
	// A shell that is gone may have left the FIFO full: do not wait.
	s.cmdW.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	io.WriteString(s.cmdW, ".\n")
}

func (s *session) exited() bool { return s.dead || s.exiting }

// deadCode is the status of a command sent to a shell that is gone: the
// shell's own, or 1 if that was 0.
func (s *session) deadCode() int {
	if s.code == 0 {
		return 1
	}
	return s.code
}

// bufSize is the read buffer for build output, and the FIFO size asked of
// the kernel.
const bufSize = 1 << 20

// Setup creates and starts the build's container.
func (x *Executor) Setup(ctx context.Context, p *build.Plan) error {
	if p.Workspace == "" {
		return errors.New("plan has no workspace")
	}
	if p.SrcDir == "" || !strings.HasPrefix(p.SrcDir, "/") {
		return fmt.Errorf("plan's source directory %q is not an absolute path in the container", p.SrcDir)
	}
	image, path, err := x.image(ctx, p.Image)
	if err != nil {
		return err
	}
	x.removeLeftovers(ctx)
	st, err := newState()
	if err != nil {
		return err
	}
	x.mu.Lock()
	if _, ok := x.runs[p.BuildID]; ok {
		x.mu.Unlock()
		st.closeFiles()
		os.RemoveAll(st.dir)
		return fmt.Errorf("build %s is already set up", p.BuildID)
	}
	x.runs[p.BuildID] = st
	x.mu.Unlock()

	// The workspace goes in through a link of a plain name: an engine may
	// take a comma or colon in a mount's source for an option.
	src := filepath.Join(st.dir, "src")
	if err := os.Symlink(p.Workspace, src); err != nil {
		return err
	}
	mounts := []mount.Mount{
		{Type: mount.TypeBind, Source: src, Target: p.SrcDir},
		{Type: mount.TypeBind, Source: st.ctl, Target: ctlMount},
	}
	for i, m := range p.Mounts {
		if !strings.HasPrefix(m.Target, "/") {
			return fmt.Errorf("mount target %q is not an absolute path in the container", m.Target)
		}
		link := filepath.Join(st.dir, "m"+strconv.Itoa(i))
		if err := os.Symlink(m.Source, link); err != nil {
			return err
		}
		mounts = append(mounts, mount.Mount{Type: mount.TypeBind, Source: link, Target: m.Target})
	}
	tools, err := x.o.Tools.mounts(st.dir)
	if err != nil {
		return err
	}
	mounts = append(mounts, tools...)
	cfg := &container.Config{
		Image:      image,
		Entrypoint: []string{"sh"},
		Cmd:        []string{"-c", supervisor, "supervisor", st.loop, st.waiter},
		WorkingDir: p.SrcDir,
		Labels: map[string]string{
			labelExecutor: "docker",
			labelBuild:    p.BuildID,
			labelOwner:    x.owner,
			labelDir:      st.dir,
		},
	}
	if len(tools) > 0 {
		cfg.Env = []string{"PATH=" + path + ":" + toolsMount}
	}
	hc := &container.HostConfig{
		Mounts:     mounts,
		Privileged: x.env.Privileged,
		Init:       nil,
	}
	if x.o.Network != "" {
		hc.NetworkMode = container.NetworkMode(x.o.Network)
	}
	if x.env.ComputeType != "" {
		r, ok := x.o.ComputeTypes[x.env.ComputeType]
		if !ok {
			r, ok = DefaultComputeTypes[x.env.ComputeType]
		}
		if !ok {
			return &build.ContextError{StatusCode: build.CodeClientError,
				Message: fmt.Sprintf("compute type %s is not available on this server", x.env.ComputeType)}
		}
		hc.NanoCPUs = int64(r.CPUs * 1e9)
		hc.Memory = r.Memory
	}
	res, err := x.c.ContainerCreate(ctx, client.ContainerCreateOptions{Config: cfg, HostConfig: hc, Name: containerName(p.BuildID, st.nonce)})
	if err != nil {
		return fmt.Errorf("create the build container: %w", err)
	}
	st.id = res.ID
	// Register the wait before the start, so a container that dies at
	// once is seen.
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	wait := x.c.ContainerWait(wctx, st.id, client.ContainerWaitOptions{Condition: container.WaitConditionNextExit})
	go st.watch(wait, cancel)
	if _, err := x.c.ContainerStart(ctx, st.id, client.ContainerStartOptions{}); err != nil {
		return startError(p.Image, err)
	}
	return nil
}

// startError explains a container that would not start: most often an
// image without sh.
func startError(image string, err error) error {
	msg := err.Error()
	if strings.Contains(msg, "executable file not found") || strings.Contains(msg, "no such file or directory") {
		return &build.ContextError{StatusCode: build.CodeClientError,
			Message: fmt.Sprintf("image %s cannot run a build: it has no /bin/sh (%s)", image, msg)}
	}
	return fmt.Errorf("start the build container: %w", err)
}

// containerName is a readable name that is unique per build.
func containerName(buildID, nonce string) string {
	var b strings.Builder
	b.WriteString("codeyard-")
	for _, c := range buildID {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			b.WriteRune(c)
		} else {
			b.WriteByte('-')
		}
		if b.Len() > 60 {
			break
		}
	}
	return b.String() + "-" + nonce[:8]
}

// watch waits for the container's end and wakes a reader of its output.
func (st *state) watch(w client.ContainerWaitResult, cancel context.CancelFunc) {
	defer cancel()
	select {
	case r := <-w.Result:
		msg := fmt.Sprintf("the build container exited with status %d", r.StatusCode)
		if r.Error != nil && r.Error.Message != "" {
			msg += ": " + r.Error.Message
		}
		st.exitMsg = msg
	case err := <-w.Error:
		st.exitMsg = fmt.Sprintf("lost the container engine while waiting for the build container: %v", err)
	}
	close(st.exited)
	st.wake()
}

// wake sends the reader of the build's output a "k" sentinel, after
// everything written so far: a reader blocks in read(2) (see newState).
func (st *state) wake() {
	st.keep.Write(append(slices.Clip(st.prefix), "k:0\n"...))
}

func newState() (*state, error) {
	dir, err := os.MkdirTemp("", "codeyard-docker-")
	if err != nil {
		return nil, err
	}
	var nb [8]byte
	rand.Read(nb[:])
	st := &state{
		dir:      dir,
		ctl:      filepath.Join(dir, "ctl"),
		nonce:    hex.EncodeToString(nb[:]),
		sessions: map[string]*session{},
		buf:      make([]byte, bufSize),
		exited:   make(chan struct{}),
	}
	st.prefix = []byte("\x1ecy" + st.nonce + ":")
	st.loop = withNonce(loop, st.nonce)
	st.waiter = withNonce(waiter, st.nonce)
	fail := func(err error) (*state, error) {
		st.closeFiles()
		os.RemoveAll(dir)
		return nil, err
	}
	// The control directory is reachable by the container's users (run-as
	// shells open its FIFOs); its parent keeps other host users out.
	if err := os.Mkdir(st.ctl, 0o755); err != nil {
		return fail(err)
	}
	if err := os.Mkdir(filepath.Join(st.ctl, "state"), 0o1777); err != nil {
		return fail(err)
	}
	os.Chmod(filepath.Join(st.ctl, "state"), 0o1777)
	if err := os.WriteFile(filepath.Join(st.ctl, "env"), nil, 0o644); err != nil {
		return fail(err)
	}
	for _, name := range []string{"ctl", "out"} {
		if err := syscall.Mkfifo(filepath.Join(st.ctl, name), 0o666); err != nil {
			return fail(fmt.Errorf("mkfifo: %w", err))
		}
		os.Chmod(filepath.Join(st.ctl, name), 0o666)
	}
	if st.ctlW, err = os.OpenFile(filepath.Join(st.ctl, "ctl"), os.O_RDWR, 0); err != nil {
		return fail(err)
	}
	// The reader first (opened non-blocking, as no writer exists yet),
	// then a writer that keeps the FIFO from ending until Drain. The
	// reader then blocks in read(2) rather than going through the
	// runtime's poller: a build that writes a line at a time wakes it
	// once per write, and a direct wake-up is much cheaper. Nothing needs
	// a deadline: every wake-up comes down the FIFO itself (wake).
	fd, err := syscall.Open(filepath.Join(st.ctl, "out"), syscall.O_RDONLY|syscall.O_NONBLOCK|syscall.O_CLOEXEC, 0)
	if err != nil {
		return fail(err)
	}
	syscall.SetNonblock(fd, false)
	st.outR = os.NewFile(uintptr(fd), "build-output")
	if st.keep, err = os.OpenFile(filepath.Join(st.ctl, "out"), os.O_WRONLY, 0); err != nil {
		return fail(err)
	}
	const fSetPipeSz = 1031
	if rc, err := st.outR.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { syscall.Syscall(syscall.SYS_FCNTL, fd, fSetPipeSz, bufSize) })
	}
	return st, nil
}

// shellOf is the shell the plan's commands run in: bash when the
// buildspec's env.shell says so, else sh.
func shellOf(p *build.Plan) string {
	if p.Shell == build.ShellBash {
		return "bash"
	}
	return "sh"
}

// Check reports a plan this executor cannot run.
func (x *Executor) Check(p *build.Plan) error {
	switch p.Shell {
	case build.ShellSh, build.ShellBash, "":
		return nil
	}
	return &build.ContextError{StatusCode: build.CodeClientError,
		Message: fmt.Sprintf("shell %s needs a Windows build environment; Linux containers run bash and /bin/sh", p.Shell)}
}

func (x *Executor) state(p *build.Plan) (*state, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	st := x.runs[p.BuildID]
	if st == nil || st.id == "" {
		return nil, fmt.Errorf("build %s is not set up", p.BuildID)
	}
	return st, nil
}

// Run runs one step; see build.Executor.
func (x *Executor) Run(ctx context.Context, p *build.Plan, s build.Step, out io.Writer) (int, error) {
	st, err := x.state(p)
	if err != nil {
		return 0, err
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	sess, err := x.session(ctx, st, p, s, out)
	if err != nil {
		return 0, err
	}
	code, err := x.exec(ctx, st, sess, s.Command, out)
	if p.Version == "0.1" {
		sess.end()
		sess.exiting = true
	}
	return code, err
}

// RunList runs steps in one shell, the whole list sent at once; see
// build.ListRunner.
func (x *Executor) RunList(ctx context.Context, p *build.Plan, steps []build.Step, out io.Writer, h build.ListHooks) (int, int, error) {
	st, err := x.state(p)
	if err != nil {
		return 0, 0, err
	}
	if p.Version == "0.1" {
		for i, s := range steps {
			h.Start(i)
			code, err := x.Run(ctx, p, s, out)
			h.End(i, code)
			if err != nil || code != 0 {
				return i, code, err
			}
		}
		return len(steps), 0, nil
	}
	for i := 0; i < len(steps); {
		if err := ctx.Err(); err != nil {
			return i, 0, err
		}
		sess, err := x.session(ctx, st, p, steps[i], out)
		if err != nil {
			return i, 0, err
		}
		var b strings.Builder
		for j, s := range steps[i:] {
			if j == 0 {
				b.WriteByte('=')
			} else {
				b.WriteByte('+')
			}
			if n, ok := st.index[s.Command]; ok && sess.defs {
				b.WriteString("#" + strconv.Itoa(n) + "\n")
			} else {
				b.WriteString(encode("__cy_c", s.Command))
			}
		}
		h.Start(i)
		if sess.dead {
			h.End(i, sess.deadCode())
			return i, sess.deadCode(), nil
		}
		if _, err := io.WriteString(sess.cmdW, b.String()); err != nil {
			return i, 0, fmt.Errorf("send commands to the build's shell: %w", err)
		}
		restart, code, err := x.pumpList(ctx, st, sess, out, &i, len(steps), h)
		if err != nil || code != 0 {
			return i, code, err
		}
		if !restart {
			return len(steps), 0, nil
		}
	}
	return len(steps), 0, nil
}

func (x *Executor) pumpList(ctx context.Context, st *state, sess *session, out io.Writer, i *int, n int, h build.ListHooks) (restart bool, code int, err error) {
	stop := context.AfterFunc(ctx, func() { x.kill(st) })
	defer stop()
	for {
		c, werr, rerr := st.pump(sess, out)
		if rerr != nil {
			if ctx.Err() != nil {
				return false, 0, ctx.Err()
			}
			return false, 0, rerr
		}
		h.End(*i, c)
		if ctx.Err() != nil {
			return false, c, ctx.Err()
		}
		if werr != nil {
			return false, c, werr
		}
		if c != 0 || sess.dead {
			return false, c, nil
		}
		*i++
		if *i == n {
			return false, 0, nil
		}
		if sess.exiting {
			return true, 0, nil
		}
		h.Start(*i)
	}
}

// session returns the shell step s runs in, started if need be, with the
// step's environment applied. What the shell prints meanwhile (a shell
// that cannot start says why) goes to out.
func (x *Executor) session(ctx context.Context, st *state, p *build.Plan, s build.Step, out io.Writer) (*session, error) {
	sess := st.sessions[s.RunAs]
	if p.Version == "0.1" || sess == nil || sess.exited() {
		var err error
		if sess, err = x.start(ctx, st, p, s.RunAs); err != nil {
			return nil, err
		}
		st.sessions[s.RunAs] = sess
		st.all = append(st.all, sess)
	}
	if exports := sess.pendingExports(s.Env); exports != "" {
		if _, err := x.exec(ctx, st, sess, exports, out); err != nil {
			return nil, err
		}
	}
	return sess, nil
}

// start starts a shell for user (empty: the container's user).
func (x *Executor) start(ctx context.Context, st *state, p *build.Plan, user string) (*session, error) {
	if !st.envDone {
		var b strings.Builder
		for _, kv := range p.Env {
			k, v, _ := strings.Cut(kv, "=")
			if build.IsName(k) {
				fmt.Fprintf(&b, "export %s=%s\n", k, quote(v))
			}
		}
		if err := os.WriteFile(filepath.Join(st.ctl, "env"), []byte(b.String()), 0o644); err != nil {
			return nil, err
		}
		st.envDone = len(p.Env) > 0
	}
	if !st.defsDone && p.Version != "0.1" && len(p.Phases) > 0 {
		st.index = map[string]int{}
		var b strings.Builder
		for _, ph := range p.Phases {
			for _, steps := range [][]build.Step{ph.Commands, ph.Finally} {
				for _, s := range steps {
					if _, ok := st.index[s.Command]; ok {
						continue
					}
					n := len(st.index) + 1
					st.index[s.Command] = n
					b.WriteString(encode("__cy_c"+strconv.Itoa(n), s.Command))
				}
			}
		}
		if err := os.WriteFile(filepath.Join(st.ctl, "defs"), []byte(b.String()), 0o644); err != nil {
			return nil, err
		}
		st.defsDone = true
	}
	st.nextSid++
	sid := st.nextSid
	fifo := filepath.Join(st.ctl, "c"+strconv.Itoa(sid))
	if err := syscall.Mkfifo(fifo, 0o666); err != nil {
		return nil, fmt.Errorf("mkfifo: %w", err)
	}
	os.Chmod(fifo, 0o666)
	w, err := os.OpenFile(fifo, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	statePath := ""
	if p.Version != "0.1" {
		name := "root"
		if user != "" {
			name = "u-" + hex.EncodeToString([]byte(user))
		}
		statePath = ctlMount + "/state/" + name
	}
	sess := &session{sid: sid, user: user, cmdW: w, state: statePath, env: map[string]string{}, defs: st.defsDone}
	if user == "" {
		_, err = fmt.Fprintf(st.ctlW, "s %d:%s %s\n", sid, shellOf(p), statePath)
	} else {
		err = x.startAs(ctx, st, p, sess)
	}
	if err != nil {
		w.Close()
		return nil, err
	}
	return sess, nil
}

// startAs starts a run-as user's shell through an exec of that user,
// after giving the source directory to the user.
func (x *Executor) startAs(ctx context.Context, st *state, p *build.Plan, sess *session) error {
	if !st.given[sess.user] && sess.user != "root" && sess.user != "0" {
		if err := st.recordOwners(p); err != nil {
			return err
		}
		dirs := []string{p.SrcDir}
		for _, m := range p.Mounts {
			dirs = append(dirs, m.Target)
		}
		for _, d := range dirs {
			if _, err := fmt.Fprintf(st.ctlW, "o %s %s\n", sess.user, d); err != nil {
				return err
			}
		}
		if st.given == nil {
			st.given = map[string]bool{}
		}
		st.given[sess.user] = true
	}
	ex, err := x.c.ExecCreate(ctx, st.id, client.ExecCreateOptions{
		User:       sess.user,
		WorkingDir: p.SrcDir,
		Cmd:        []string{"sh", "-c", st.waiter, "waiter", st.loop, strconv.Itoa(sess.sid), sess.state, shellOf(p)},
	})
	if err == nil {
		_, err = x.c.ExecStart(ctx, ex.ID, client.ExecStartOptions{Detach: true})
	}
	if err != nil {
		msg := err.Error()
		if strings.Contains(msg, "user") || strings.Contains(msg, "passwd") {
			return &build.ContextError{StatusCode: build.CodeClientError,
				Message: fmt.Sprintf("run-as user %s does not exist in the build image: %s", sess.user, msg)}
		}
		return fmt.Errorf("start a shell as run-as user %s: %w", sess.user, err)
	}
	return nil
}

// recordOwners notes the owners of the files of the workspace and the
// other mounts once, so Destroy gives them back after a run-as user was
// given the sources.
func (st *state) recordOwners(p *build.Plan) error {
	if st.owners != nil {
		return nil
	}
	st.owners = map[string][2]int{}
	dirs := []string{p.Workspace}
	for _, m := range p.Mounts {
		dirs = append(dirs, m.Source)
	}
	for _, d := range dirs {
		if err := st.recordOwnersOf(d); err != nil {
			return err
		}
	}
	return nil
}

func (st *state) recordOwnersOf(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
			st.owners[path] = [2]int{int(sys.Uid), int(sys.Gid)}
		}
		return nil
	})
}

// pendingExports returns the export commands that bring the shell's
// environment up to env, and records them as done.
func (s *session) pendingExports(env []string) string {
	var b strings.Builder
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		if old, ok := s.env[k]; ok && old == v {
			continue
		}
		s.env[k] = v
		fmt.Fprintf(&b, "export %s=%s\n", k, quote(v))
	}
	return b.String()
}

// exec has sess run one script and copies its output to out until the
// script's sentinel.
func (x *Executor) exec(ctx context.Context, st *state, sess *session, script string, out io.Writer) (int, error) {
	if sess.dead {
		// Its end is already read: no sentinel would come.
		return sess.deadCode(), nil
	}
	line := ""
	if n, ok := st.index[script]; ok && sess.defs {
		line = "#" + strconv.Itoa(n) + "\n"
	} else {
		line = encode("__cy_c", script)
	}
	if _, err := io.WriteString(sess.cmdW, line); err != nil {
		return 0, fmt.Errorf("send a command to the build's shell: %w", err)
	}
	stop := context.AfterFunc(ctx, func() { x.kill(st) })
	defer stop()
	code, werr, err := st.pump(sess, out)
	if ctx.Err() != nil {
		return code, ctx.Err()
	}
	if err != nil {
		return code, err
	}
	return code, werr
}

// kill stops every process of the build: SIGTERM, then after the grace
// period the container is killed, which wakes the reader.
func (x *Executor) kill(st *state) {
	x.mu.Lock()
	if st.killing {
		x.mu.Unlock()
		return
	}
	st.killing = true
	x.mu.Unlock()
	io.WriteString(st.ctlW, "k\n")
	time.AfterFunc(x.o.Grace, func() {
		st.stopped = true
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		x.c.ContainerKill(ctx, st.id, client.ContainerKillOptions{Signal: "KILL"})
		select {
		case <-st.exited:
		case <-ctx.Done():
		}
		st.wake()
	})
}

// pump copies output to out until sess's command ends, and returns its
// exit status. "r" ends a command that ran, "x" one that ended the shell
// (exit, set -e), and "w<sid>" the death of shell sid: the current one's
// ends its command, another's is noted.
func (st *state) pump(sess *session, out io.Writer) (code int, werr, err error) {
	for {
		c, kind, sid, werr1, err := st.pumpAny(out)
		if werr == nil {
			werr = werr1
		}
		if err != nil {
			return 0, werr, err
		}
		switch kind {
		case 'r':
			return c, werr, nil
		case 'x':
			sess.exiting = true
			return c, werr, nil
		case 'k':
			return 0, werr, st.readError(errors.New("woken"))
		case 'w':
			for _, s := range st.all {
				if s.sid == sid {
					s.dead, s.code = true, c
					s.cmdW.Close() // nobody reads it any more (a 0.1 build has one per command)
				}
			}
			if sid == sess.sid {
				return c, werr, nil
			}
		}
	}
}

// pumpAny copies output to out until the next sentinel and returns its
// status, kind and shell id ("w" only). werr is the first error writing
// out; err an error reading (the container's end, a deadline).
func (st *state) pumpAny(out io.Writer) (code int, kind byte, sid int, werr, err error) {
	emit := func(b []byte) {
		if len(b) > 0 && werr == nil {
			_, werr = out.Write(b)
		}
	}
	k := st.carry
	st.carry = 0
	for {
		data := st.buf[:k]
		code, kind, sid, start, end, partial := build.ScanSentinel(data, st.prefix)
		switch {
		case end >= 0:
			emit(data[:start])
			st.carry = copy(st.buf, data[end:])
			return code, kind, sid, werr, nil
		case partial >= 0:
			emit(data[:partial])
			k = copy(st.buf, data[partial:])
		default:
			emit(data)
			k = 0
		}
		n, rerr := st.outR.Read(st.buf[k:])
		k += n
		if rerr != nil && n == 0 {
			st.carry = k
			if errors.Is(rerr, io.EOF) {
				return 0, 0, 0, werr, io.EOF
			}
			return 0, 0, 0, werr, fmt.Errorf("read build output: %w", rerr)
		}
	}
}

// readError explains why the output could not be read.
func (st *state) readError(err error) error {
	select {
	case <-st.exited:
		if !st.stopped {
			return errors.New(st.exitMsg)
		}
	default:
	}
	if errors.Is(err, io.EOF) {
		return io.EOF
	}
	return fmt.Errorf("read build output: %w", err)
}

// Drain ends the build's shells and copies to out what the build's
// processes wrote after the last command's sentinel. Processes get up to
// half a second to finish on their own; then the container is killed.
func (x *Executor) Drain(ctx context.Context, p *build.Plan, out io.Writer) error {
	st, err := x.state(p)
	if err != nil {
		return err
	}
	if st.drained {
		return nil
	}
	st.drained = true
	for _, sess := range st.all {
		sess.end()
	}
	// The output FIFO ends once no process of the build holds it. (The
	// supervisor stays: the container ends with it.)
	st.keep.Close()
	done := make(chan struct{})
	go func() {
		select {
		case <-done:
			return
		case <-time.After(500 * time.Millisecond):
		}
		x.stop(context.WithoutCancel(ctx), st)
		select {
		case <-done:
			return
		case <-time.After(2 * time.Second):
		}
		// Something still holds the FIFO (an engine that cannot kill):
		// end the read with a sentinel of our own.
		if w, err := os.OpenFile(filepath.Join(st.ctl, "out"), os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			w.Write(append(slices.Clip(st.prefix), "d:0\n"...))
			w.Close()
		}
	}()
	err = st.drainTo(out)
	close(done)
	if errors.Is(err, io.EOF) {
		return nil
	}
	return err
}

// drainTo copies output to out, leaving sentinels out, until an error.
func (st *state) drainTo(out io.Writer) error {
	for {
		_, kind, _, werr, err := st.pumpAny(out)
		if err != nil {
			return err
		}
		if werr != nil {
			return werr
		}
		if kind == 'd' {
			return nil
		}
	}
}

// stop kills the container and waits for its end.
func (x *Executor) stop(ctx context.Context, st *state) {
	st.stopped = true
	select {
	case <-st.exited:
		return
	default:
	}
	x.c.ContainerKill(ctx, st.id, client.ContainerKillOptions{Signal: "KILL"})
	select {
	case <-st.exited:
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
	}
}

// ReadVars reads variables out of the shell of the run-as user runAs; see
// build.VarReader.
func (x *Executor) ReadVars(ctx context.Context, p *build.Plan, runAs string, names []string) (map[string]string, error) {
	st, err := x.state(p)
	if err != nil {
		return nil, err
	}
	sess := st.sessions[runAs]
	vals := map[string]string{}
	if sess == nil || sess.exited() {
		return vals, nil
	}
	// Straight to the output pipe, past any redirection of stdout.
	var buf bytes.Buffer
	if _, err := x.exec(ctx, st, sess, build.VarsScript(names, ">"+outPath), &buf); err != nil {
		return nil, err
	}
	return build.VarsValues(buf.Bytes(), names), nil
}

// Expand has the shell of runAs expand each word as a double-quoted
// string; see build.Expander.
func (x *Executor) Expand(ctx context.Context, p *build.Plan, runAs string, words []string, out io.Writer) ([]string, error) {
	st, err := x.state(p)
	if err != nil {
		return nil, err
	}
	sess, err := x.session(ctx, st, p, build.Step{RunAs: runAs}, out)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := x.exec(ctx, st, sess, build.ExpansionScript(words, ">"+outPath), &buf); err != nil {
		return nil, err
	}
	return build.ExpansionValues(buf.Bytes(), words, out)
}

// Destroy removes the build's container and control directory, and gives
// files handed to run-as users back to their owners. It is safe after a
// failed Setup and more than once.
func (x *Executor) Destroy(ctx context.Context, p *build.Plan) error {
	x.mu.Lock()
	st := x.runs[p.BuildID]
	delete(x.runs, p.BuildID)
	x.mu.Unlock()
	if st == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
	defer cancel()
	var err error
	if st.id != "" {
		st.stopped = true
		if _, rerr := x.c.ContainerRemove(ctx, st.id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); rerr != nil && !isNotFound(rerr) {
			// Closing the files below ends the container's supervisor,
			// and with it every process of the build; the container
			// itself goes at the next Setup (or the next start's Reap).
			err = fmt.Errorf("remove the build container (left stopped, removed once the engine answers): %w", rerr)
			x.mu.Lock()
			x.leftover = append(x.leftover, st.id)
			x.mu.Unlock()
		}
	}
	for path, o := range st.owners {
		os.Lchown(path, o[0], o[1])
	}
	st.closeFiles()
	os.RemoveAll(st.dir)
	return err
}

// removeLeftovers removes the containers earlier Destroys left behind.
func (x *Executor) removeLeftovers(ctx context.Context) {
	x.mu.Lock()
	ids := x.leftover
	x.leftover = nil
	x.mu.Unlock()
	var keep []string
	for _, id := range ids {
		if _, err := x.c.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true}); err != nil && !isNotFound(err) {
			keep = append(keep, id)
		}
	}
	if len(keep) > 0 {
		x.mu.Lock()
		x.leftover = append(x.leftover, keep...)
		x.mu.Unlock()
	}
}

func (st *state) closeFiles() {
	for _, f := range []*os.File{st.ctlW, st.outR, st.keep} {
		if f != nil {
			f.Close()
		}
	}
	for _, s := range st.all {
		s.cmdW.Close()
	}
}
