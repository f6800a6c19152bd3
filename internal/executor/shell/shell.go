// Package shell runs build plans as processes on the host, each build's
// shells in sessions of their own, with no controlling terminal.
//
// A version 0.2 plan runs in one long-lived shell per run-as user, so
// variables, the working directory and functions persist from one command
// to the next and across phases, as CodeBuild's do. The shell reads each
// command (one line, quoted) from a pipe it opens as /dev/fd/61, evaluates
// it, and writes a sentinel line carrying the exit status to /dev/fd/62,
// the pipe stdout and stderr go to: so a command's output always comes
// before the line that ends it, a command that redirects its own stdout
// cannot swallow the sentinel, and descriptors 0 to 9 are the commands' to
// use. A phase's commands go down the pipe as one list (RunList): the
// shell runs them back to back, skipping the rest once one fails, and
// codeyard reads their sentinels as they come. A command that exits the
// shell (exit, set -e) reports through the
// shell's EXIT trap, which also saves the shell's exported variables,
// directory and (bash) functions, and the next command starts a fresh
// shell from them. A version 0.1 plan starts a fresh shell for every
// command.
//
// Every process of a build carries CODEYARD_BUILD_TOKEN in its
// environment, so processes that leave the build's sessions (setsid,
// daemons) are found and killed with the rest when the build ends.
package shell

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

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

// Executor is the host shell executor. One Executor can run many builds at
// once; each Plan is told apart by its BuildID.
type Executor struct {
	grace time.Duration

	mu   sync.Mutex // guards runs
	runs map[string]*state
}

// Options configure an Executor.
type Options struct {
	// Grace is how long a stopped build's processes get between SIGTERM
	// and SIGKILL; default 2s.
	Grace time.Duration
}

// New returns a host shell executor.
func New(o Options) *Executor {
	if o.Grace <= 0 {
		o.Grace = 2 * time.Second
	}
	return &Executor{grace: o.Grace, runs: map[string]*state{}}
}

// bufSize is the read buffer for build output, and the pipe size asked of
// the kernel: big reads keep the cost per byte of a chatty build low.
const bufSize = 1 << 20

// state is what the Executor keeps for one Plan.
type state struct {
	dir        string // private directory: shell state kept across an exit
	outR, outW *os.File
	nonce      string
	token      string              // CODEYARD_BUILD_TOKEN: buildMark(build id)-nonce
	prefix     []byte              // "\x1ecy<nonce>:"
	wake       string              // the sentinel the waiter of a dead shell sends
	sessions   map[string]*session // the current shell of each run-as user
	all        []*session          // every shell started, for Destroy
	buf        []byte
	carry      int               // buf[:carry] is output read after the last sentinel
	owners     map[string][2]int // original owners of files handed to run-as users
	drained    bool
	stopped    bool           // every process has been killed (Drain, Destroy)
	defs       string         // file defining the plan's commands, for 0.2 shells
	defsInline string         // or the definitions themselves, when small
	index      map[string]int // command text -> its number in defs
}

// session is one running shell.
type session struct {
	cmd  *exec.Cmd
	cmdW *os.File // the shell reads commands from the other end
	dead chan struct{}
	code int // exit code, once dead is closed
	env  map[string]string
	defs bool // the shell has sourced the plan's commands
}

// Setup creates the build's output pipe.
func (x *Executor) Setup(ctx context.Context, p *build.Plan) error {
	if p.Workspace == "" {
		return errors.New("plan has no workspace")
	}
	dir, err := os.MkdirTemp("", "codeyard-shell-")
	if err != nil {
		return err
	}
	r, w, err := blockingPipe()
	if err != nil {
		os.RemoveAll(dir)
		return err
	}
	var nb [8]byte
	rand.Read(nb[:])
	st := &state{
		dir:      dir,
		outR:     r,
		outW:     w,
		nonce:    hex.EncodeToString(nb[:]),
		sessions: map[string]*session{},
		buf:      make([]byte, bufSize),
	}
	st.token = buildMark(p.BuildID) + "-" + st.nonce
	st.prefix = []byte("\x1ecy" + st.nonce + ":")
	st.wake = string(st.prefix) + "w:0\n"
	x.mu.Lock()
	defer x.mu.Unlock()
	if _, ok := x.runs[p.BuildID]; ok {
		st.close()
		return fmt.Errorf("build %s is already set up", p.BuildID)
	}
	x.runs[p.BuildID] = st
	return nil
}

// blockingPipe returns a pipe whose read end blocks in read(2) rather than
// going through the runtime's poller: a build's reader waits for one
// command at a time, and a direct wake-up saves a scheduler round trip per
// command. The reader never needs a deadline: every wake-up it waits for
// comes down the pipe itself (see pump). The pipe buffer is grown to 1 MiB
// (F_SETPIPE_SZ) when the kernel allows, so chatty builds switch less.
func blockingPipe() (r, w *os.File, err error) {
	var fds [2]int
	if err := syscall.Pipe2(fds[:], syscall.O_CLOEXEC); err != nil {
		return nil, nil, fmt.Errorf("pipe: %w", err)
	}
	const fSetPipeSz = 1031
	syscall.Syscall(syscall.SYS_FCNTL, uintptr(fds[0]), fSetPipeSz, bufSize)
	openToShells(fds[0])
	return os.NewFile(uintptr(fds[0]), "build-output"), os.NewFile(uintptr(fds[1]), "build-output"), nil
}

// openToShells lets a run-as user's shell open a pipe through /dev/fd: a
// pipe is made 0600 for its creator. Only processes that hold the pipe can
// name it, so this opens it to no one else.
func openToShells(fd int) {
	syscall.Fchmod(fd, 0o666)
}

// The descriptors the build's shells get the command pipe and the output
// pipe on, out of the way of the 0-9 that scripts use.
const (
	cmdFD  = 61
	markFD = 62
)

// Check reports a plan this executor cannot run.
func (x *Executor) Check(p *build.Plan) error {
	_, err := shellPath(p.Shell)
	return err
}

func shellPath(shell string) (string, error) {
	switch shell {
	case build.ShellSh, "":
		return "/bin/sh", nil
	case build.ShellBash:
		path, err := exec.LookPath("bash")
		if err != nil {
			return "", &build.ContextError{StatusCode: build.CodeClientError, Message: "shell bash is not installed on this host"}
		}
		return path, nil
	}
	return "", &build.ContextError{StatusCode: build.CodeClientError,
		Message: fmt.Sprintf("shell %s needs a Windows build environment; the host executor runs bash and /bin/sh", shell)}
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
	sess, err := x.session(st, p, s)
	if err != nil {
		return 0, err
	}
	code, err := x.exec(ctx, st, sess, s.Command, out)
	if errors.Is(err, errShellGone) {
		// The shell died between commands (it closed its command pipe, or
		// was killed): start another, as after an exit, and run it there.
		<-sess.dead
		if sess, err = x.session(st, p, s); err != nil {
			return 0, err
		}
		code, err = x.exec(ctx, st, sess, s.Command, out)
	}
	if p.Version == "0.1" {
		sess.cmdW.Close() // the shell's loop ends; it exits
	}
	return code, err
}

// RunList runs steps in one shell, the whole list sent at once, so the
// shell goes from one command to the next without waiting for codeyard;
// see build.ListRunner.
func (x *Executor) RunList(ctx context.Context, p *build.Plan, steps []build.Step, out io.Writer, h build.ListHooks) (int, int, error) {
	st, err := x.state(p)
	if err != nil {
		return 0, 0, err
	}
	for i := 0; i < len(steps); {
		if err := ctx.Err(); err != nil {
			return i, 0, err
		}
		sess, err := x.session(st, p, steps[i])
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
		if _, err := io.WriteString(sess.cmdW, b.String()); err != nil {
			<-sess.dead // gone between lists: a fresh shell takes them
			continue
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

// pumpList reads the sentinels of a list sent from *i on, calling the
// hooks; it returns at the first failure, at the end of the list, or with
// restart set when a command ended the shell with status 0 (the rest of
// the list must go to a new shell).
func (x *Executor) pumpList(ctx context.Context, st *state, sess *session, out io.Writer, i *int, n int, h build.ListHooks) (restart bool, code int, err error) {
	stop := context.AfterFunc(ctx, func() { x.kill(st, sess) })
	defer stop()
	for {
		c, kind, werr, rerr := st.pumpAny(out)
		switch {
		case rerr != nil:
			return false, 0, rerr
		case kind == 'w' && !sess.exited():
			continue // another shell's death
		case kind == 'w':
			c = sess.code
		case kind == 'x':
			<-sess.dead
		}
		h.End(*i, c)
		if ctx.Err() != nil {
			return false, c, ctx.Err()
		}
		if werr != nil {
			return false, c, werr
		}
		if c != 0 || kind == 'w' {
			return false, c, nil
		}
		*i++
		if *i == n {
			return false, 0, nil
		}
		if kind == 'x' {
			return true, 0, nil
		}
		h.Start(*i)
	}
}

func (x *Executor) state(p *build.Plan) (*state, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	st := x.runs[p.BuildID]
	if st == nil {
		return nil, fmt.Errorf("build %s is not set up", p.BuildID)
	}
	return st, nil
}

// session returns the shell step s runs in, started if need be, with the
// step's environment applied.
func (x *Executor) session(st *state, p *build.Plan, s build.Step) (*session, error) {
	sess := st.sessions[s.RunAs]
	if p.Version == "0.1" || sess == nil || sess.exited() {
		var err error
		if sess, err = x.start(st, p, s); err != nil {
			return nil, err
		}
		st.sessions[s.RunAs] = sess
		st.all = append(st.all, sess)
		return sess, nil
	}
	if exports := sess.pendingExports(s.Env); exports != "" {
		// Exports print nothing, so their output can go anywhere.
		if _, err := x.exec(context.Background(), st, sess, exports, io.Discard); err != nil {
			return nil, err
		}
	}
	return sess, nil
}

// errShellGone is returned by exec when the shell cannot take a command.
var errShellGone = errors.New("the build's shell has exited")

// exec has sess run one script and copies its output to out until the
// script's sentinel.
func (x *Executor) exec(ctx context.Context, st *state, sess *session, script string, out io.Writer) (int, error) {
	line := ""
	if n, ok := st.index[script]; ok && sess.defs {
		line = "#" + strconv.Itoa(n) + "\n"
	} else {
		line = encode("__cy_c", script)
	}
	if _, err := io.WriteString(sess.cmdW, line); err != nil {
		return 0, errShellGone
	}

	stop := context.AfterFunc(ctx, func() { x.kill(st, sess) })
	defer stop()

	code, err := st.pump(sess, out)
	if ctx.Err() != nil {
		return code, ctx.Err()
	}
	return code, err
}

// kill stops sess's session and every other process of the build:
// SIGTERM, then SIGKILL after the grace period. The shell's death wakes
// the reader (see start).
func (x *Executor) kill(st *state, sess *session) {
	sess.signal(syscall.SIGTERM)
	st.signalStrays(syscall.SIGTERM)
	time.AfterFunc(x.grace, func() {
		sess.signal(syscall.SIGKILL)
		st.signalStrays(syscall.SIGKILL)
	})
}

// tokenVar names the environment variable that marks a build's processes.
const tokenVar = "CODEYARD_BUILD_TOKEN"

// signalStrays signals every process that carries the build's token but
// left its session: setsid'd commands, daemons. It reads /proc, so it
// finds only processes this user may inspect, which are the only ones the
// build could start.
func (st *state) signalStrays(sig syscall.Signal) {
	signalMarked([]byte(tokenVar+"="+st.token+"\x00"), sig)
}

// signalMarked signals the processes whose environment contains mark,
// and returns how many.
func signalMarked(mark []byte, sig syscall.Signal) int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0
	}
	self, n := os.Getpid(), 0
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		env, err := os.ReadFile("/proc/" + e.Name() + "/environ")
		if err == nil && bytes.Contains(env, mark) && syscall.Kill(pid, sig) == nil {
			n++
		}
	}
	return n
}

// buildMark is the part of a build's token that names the build.
func buildMark(buildID string) string {
	sum := sha256.Sum256([]byte(buildID))
	return hex.EncodeToString(sum[:8])
}

// Reap kills the processes a build left running when the server that ran
// it died (the build's own shells are gone with it, but commands that
// were running go on, re-parented to init). It returns how many it
// killed. Recovery calls it for each build it ends as lost.
func (x *Executor) Reap(buildID string) int {
	return signalMarked([]byte(tokenVar+"="+buildMark(buildID)+"-"), syscall.SIGKILL)
}

func (s *session) signal(sig syscall.Signal) {
	if s.cmd.Process != nil {
		syscall.Kill(-s.cmd.Process.Pid, sig)
	}
}

func (s *session) exited() bool {
	select {
	case <-s.dead:
		return true
	default:
		return false
	}
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

// quote quotes s for a POSIX shell.
func quote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// encode turns a script into one line: an assignment of the script to
// name, single-quoted, with its line breaks spelled as $__cy_nl. Sending
// scripts down the pipe, rather than writing a file per command, keeps a
// command's overhead to a few system calls.
func encode(name, script string) string {
	var b strings.Builder
	b.Grow(len(script) + 16)
	b.WriteString(name)
	b.WriteString("='")
	for i := 0; i < len(script); i++ {
		switch c := script[i]; c {
		case '\'':
			b.WriteString(`'\''`)
		case '\n':
			b.WriteString(`'"$__cy_nl"'`)
		case 0:
			// A shell cannot hold NUL bytes; drop them as a shell would.
		default:
			b.WriteByte(c)
		}
	}
	b.WriteString("'\n")
	return b.String()
}

// loop is the script each shell runs: read a line, evaluate it to get
// the script, evaluate the script, report its status. A list of commands
// (RunList) is sent at once: its first line starts with "=", the others
// with "+", and once one of them fails (__cy_f) the rest are skipped
// without a word. A version 0.2 shell
// first defines the plan's commands as variables (inline, %[5]s, or from
// the file %[4]s), so a line of "#<n>" is enough to name one: a shell
// reads a pipe one byte at a time. __cy_r is set while a
// command runs, so the EXIT trap reports only an exit from inside one.
//
// The loop's own statements never show in the log: after each command,
// tracing (set -x, set -v) is switched off with its trace sent nowhere,
// and switched back on inside the next command's eval. Under set -u the
// trap still runs, as it turns the options off first.
//
// A command that ends the shell (exit, set -e) should not take the build's
// environment with it: the EXIT trap saves the exported variables, the
// working directory and, in bash, the functions to the state file
// (%[2]s), and the next shell of the same user starts from it. Then come
// the step's own exports (%[3]s), which win.
const loop = `__cy_r=
__cy_x=
__cy_nl='
'
__cy_state=%[2]s
if [ -n "$__cy_state" ] && [ -f "$__cy_state" ]; then . "$__cy_state"; cd "$PWD" 2>/dev/null; rm -f "$__cy_state"; fi
__cy_defs=%[4]s
if [ -n "$__cy_defs" ]; then . "$__cy_defs"; fi
%[5]s
%[3]s
trap '{ __cy_s=$?; set +euxv; } 2>/dev/null; if [ -n "$__cy_r" ]; then if [ -n "$__cy_state" ]; then { export PWD; export -p; if [ -n "${BASH_VERSION-}" ]; then declare -f; fi; } > "$__cy_state" 2>/dev/null; fi; printf "\036cy%[1]s:x:%%d\n" "$__cy_s" > /dev/fd/62; fi' EXIT
__cy_f=
while IFS= read -r __cy_l < /dev/fd/61; do
case $__cy_l in
=*) __cy_f= __cy_l=${__cy_l#?} ;;
+*) [ -n "$__cy_f" ] && continue; __cy_l=${__cy_l#?} ;;
esac
case $__cy_l in
'#'*) eval "__cy_c=\$__cy_c${__cy_l#?}" ;;
*) eval "$__cy_l" ;;
esac
__cy_r=1
eval "$__cy_x$__cy_c"
case $- in
*[xv]*) { __cy_s=$?; __cy_o=$-; set +xv; } 2>/dev/null
__cy_x=
case $__cy_o in *x*) __cy_x='set -x;';; esac
case $__cy_o in *v*) __cy_x="$__cy_x set -v;";; esac ;;
*) __cy_s=$?; __cy_x= ;;
esac
__cy_r=
[ "$__cy_s" -eq 0 ] || __cy_f=1
printf '\036cy%[1]s:r:%%d\n' "$__cy_s" > /dev/fd/62
done
`

// scriptName is $0 of the build's shells, so errors read as they do in
// CodeBuild ("/codebuild/output/tmp/script.sh: 4: foo: not found").
const scriptName = "/codebuild/output/tmp/script.sh"

// start starts a shell for step s.
func (x *Executor) start(st *state, p *build.Plan, s build.Step) (*session, error) {
	sh, err := shellPath(p.Shell)
	if err != nil {
		return nil, err
	}
	env := append(append([]string(nil), p.Env...), s.Env...)
	env = append(env, tokenVar+"="+st.token)
	var cred *syscall.Credential
	if s.RunAs != "" {
		var home string
		if cred, home, err = lookupUser(s.RunAs); err != nil {
			return nil, err
		}
		if err := st.giveWorkspace(p.Workspace, cred); err != nil {
			return nil, err
		}
		env = append(env, "HOME="+home, "USER="+s.RunAs, "LOGNAME="+s.RunAs)
	}
	statePath := ""
	if p.Version != "0.1" {
		if statePath, err = st.stateFile(s.RunAs, cred); err != nil {
			return nil, err
		}
	}
	var exports strings.Builder
	for _, kv := range s.Env {
		k, v, _ := strings.Cut(kv, "=")
		fmt.Fprintf(&exports, "export %s=%s\n", k, quote(v))
	}

	cmdR, cmdW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer cmdR.Close()
	if rc, err := cmdR.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { openToShells(int(fd)) })
	}
	inline, defs := "", ""
	if p.Version != "0.1" {
		if inline, defs, err = st.writeDefs(p); err != nil {
			cmdR.Close()
			cmdW.Close()
			return nil, err
		}
	}
	cmd := exec.Command(sh, "-c", fmt.Sprintf(loop, st.nonce, quote(statePath), exports.String(), quote(defs), inline), scriptName)
	cmd.Dir = p.SrcDir
	cmd.Env = env
	cmd.Stdout = st.outW
	cmd.Stderr = st.outW
	extra := make([]*os.File, markFD-2)
	extra[cmdFD-3], extra[markFD-3] = cmdR, st.outW
	cmd.ExtraFiles = extra
	// A session of its own: a process group to signal, and no controlling
	// terminal, so nothing can stop on a read from /dev/tty.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Credential: cred}
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		cmdW.Close()
		return nil, fmt.Errorf("start %s: %w", sh, err)
	}
	sess := &session{cmd: cmd, cmdW: cmdW, dead: make(chan struct{}), env: map[string]string{}, defs: p.Version != "0.1"}
	for _, kv := range s.Env {
		k, v, _ := strings.Cut(kv, "=")
		sess.env[k] = v
	}
	go func() {
		err := cmd.Wait()
		sess.code = exitCode(cmd, err)
		close(sess.dead)
		// Wake a reader blocked on the pipe with a sentinel of its own,
		// after everything the shell wrote; pump tells whose death it
		// was. A write of less than PIPE_BUF bytes is never split.
		io.WriteString(st.outW, st.wake)
	}()
	return sess, nil
}

// maxInlineDefs bounds the plan's command definitions that go into the
// shell's -c script itself; larger plans get a file. (One argument may be
// at most 128 KiB; creating a file costs most of a millisecond here.)
const maxInlineDefs = 64 << 10

// writeDefs returns, once per build, the code that defines every command
// of the plan as a variable __cy_c<n> (inline), or the file that holds it,
// and indexes the commands.
func (st *state) writeDefs(p *build.Plan) (inline, file string, err error) {
	if st.index != nil {
		return st.defsInline, st.defs, nil
	}
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
	if b.Len() <= maxInlineDefs {
		st.defsInline = b.String()
		return st.defsInline, "", nil
	}
	path := filepath.Join(st.dir, "commands")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		st.index = nil
		return "", "", err
	}
	st.defs = path
	return "", path, nil
}

// stateFile returns where the shells of a run-as user (empty: the
// executor's own) keep their state across an exit, in the build's private
// directory: a directory of the user's own when the user is another.
func (st *state) stateFile(user string, cred *syscall.Credential) (string, error) {
	if user == "" || cred == nil || cred.Uid == uint32(os.Geteuid()) {
		return filepath.Join(st.dir, "state"), nil
	}
	dir := filepath.Join(st.dir, "user-"+user)
	if err := os.Mkdir(dir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return "", err
	}
	if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
		return "", err
	}
	os.Chmod(st.dir, 0o711) // let the user reach its own directory
	return filepath.Join(dir, "state"), nil
}

func exitCode(cmd *exec.Cmd, err error) int {
	if cmd.ProcessState == nil {
		return -1
	}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return cmd.ProcessState.ExitCode()
}

func lookupUser(name string) (*syscall.Credential, string, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, "", &build.ContextError{StatusCode: build.CodeClientError, Message: fmt.Sprintf("run-as user %s does not exist on this host", name)}
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	if os.Geteuid() != 0 && uint64(os.Geteuid()) != uid {
		return nil, "", &build.ContextError{StatusCode: build.CodeClientError, Message: fmt.Sprintf("run-as user %s needs codeyard to run as root", name)}
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, u.HomeDir, nil
}

// giveWorkspace hands the workspace to a run-as user, as CodeBuild grants
// that user access to the source, and checks the user can reach it. Root
// needs nothing handed to it. Destroy gives every file back to the owner
// it had, so a build in place leaves the tree as it found it.
func (st *state) giveWorkspace(ws string, cred *syscall.Credential) error {
	if cred.Uid == 0 {
		return nil
	}
	if st.owners == nil {
		st.owners = map[string][2]int{}
	}
	err := filepath.WalkDir(ws, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
			if _, seen := st.owners[path]; !seen {
				st.owners[path] = [2]int{int(sys.Uid), int(sys.Gid)}
			}
		}
		return os.Lchown(path, int(cred.Uid), int(cred.Gid))
	})
	if err != nil {
		return fmt.Errorf("give the workspace to the run-as user: %w", err)
	}
	for d := filepath.Dir(ws); ; d = filepath.Dir(d) {
		fi, err := os.Stat(d)
		if err != nil {
			return err
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if ok && fi.Mode().Perm()&0o001 == 0 && !(st.Uid == cred.Uid && fi.Mode().Perm()&0o100 != 0) && !(st.Gid == cred.Gid && fi.Mode().Perm()&0o010 != 0) {
			return &build.ContextError{StatusCode: build.CodeClientError,
				Message: fmt.Sprintf("run-as user cannot reach the source directory: %s is not searchable by uid %d", d, cred.Uid)}
		}
		if d == "/" {
			return nil
		}
	}
}

// pump copies output to out until sess's sentinel, and returns the exit
// status it carries. Three sentinels end a command: "r" after it ran, "x"
// from the EXIT trap when it ended the shell, and "w", written by the
// waiter of a shell that died, killed, without either; "w" from another
// shell is skipped.
func (st *state) pump(sess *session, out io.Writer) (int, error) {
	for {
		code, kind, werr, err := st.pumpAny(out)
		if err != nil {
			return 0, err
		}
		switch {
		case kind == 'w' && !sess.exited():
			continue // another shell's death
		case kind == 'w':
			code = sess.code
		case kind == 'x':
			<-sess.dead
		}
		return code, werr
	}
}

// pumpAny copies output to out until the next sentinel of this build and
// returns its status and kind. werr is the first error writing out; err an
// error reading the pipe.
func (st *state) pumpAny(out io.Writer) (code int, kind byte, werr, err error) {
	emit := func(b []byte) {
		if len(b) > 0 && werr == nil {
			_, werr = out.Write(b)
		}
	}
	k := st.carry
	st.carry = 0
	for {
		data := st.buf[:k]
		code, kind, _, start, end, partial := build.ScanSentinel(data, st.prefix)
		switch {
		case end >= 0:
			emit(data[:start])
			st.carry = copy(st.buf, data[end:])
			return code, kind, werr, nil
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
			return 0, 0, werr, fmt.Errorf("read build output: %w", rerr)
		}
	}
}

// Destroy ends the build's shells and everything they started, and gives
// files handed to run-as users back to their owners.
func (x *Executor) Destroy(ctx context.Context, p *build.Plan) error {
	x.mu.Lock()
	st := x.runs[p.BuildID]
	delete(x.runs, p.BuildID)
	x.mu.Unlock()
	if st == nil {
		return nil
	}
	st.stop(ctx)
	for path, o := range st.owners {
		os.Lchown(path, o[0], o[1])
	}
	st.close()
	return nil
}

// stop ends every process of the build: the shells leave their loops, then
// everything still running gets SIGKILL.
func (st *state) stop(ctx context.Context) {
	if st.stopped {
		return
	}
	st.stopped = true
	for _, sess := range st.all {
		sess.cmdW.Close()
	}
	for _, sess := range st.all {
		sess.signal(syscall.SIGKILL)
	}
	st.signalStrays(syscall.SIGKILL)
	for _, sess := range st.all {
		select {
		case <-sess.dead:
		case <-ctx.Done():
		}
	}
}

// Drain ends the build's processes and copies to out what they wrote after
// the last command's sentinel: output of background processes, of a
// `tee` the shell piped itself through. The shells leave their loops
// first, and processes get up to half a second to finish on their own
// before they are killed.
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
		sess.cmdW.Close()
	}
	deadline := time.Now().Add(500 * time.Millisecond)
	wait, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	for _, sess := range st.all {
		select {
		case <-sess.dead:
		case <-wait.Done():
		}
	}
	for _, sess := range st.all {
		for sess.groupAlive() && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
	}
	st.stop(ctx)
	// Everything written before this sentinel is in the pipe ahead of it.
	end := string(st.prefix) + "d:0\n"
	if _, err := io.WriteString(st.outW, end); err != nil {
		return err
	}
	for {
		_, kind, _, err := st.pumpAny(out)
		if err != nil || kind == 'd' {
			return err
		}
	}
}

// groupAlive reports whether any process is left in the shell's session.
func (s *session) groupAlive() bool {
	return s.cmd.Process != nil && syscall.Kill(-s.cmd.Process.Pid, 0) == nil
}

// ReadVars reads variables out of the shell of the run-as user runAs, as
// they are now: the exported-variables at the end of a build. Names that
// are not shell identifiers are read as empty; unset variables are left
// out of the map.
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
	if _, err := x.exec(ctx, st, sess, build.VarsScript(names, "> /dev/fd/62"), &buf); err != nil {
		return nil, err
	}
	return build.VarsValues(buf.Bytes(), names), nil
}

// Expand has the shell of runAs expand each word as a double-quoted
// string: variables, $(...) and arithmetic, but no field splitting or
// globbing.
func (x *Executor) Expand(ctx context.Context, p *build.Plan, runAs string, words []string, out io.Writer) ([]string, error) {
	st, err := x.state(p)
	if err != nil {
		return nil, err
	}
	// The cache key is expanded before the first command: start the shell.
	sess, err := x.session(st, p, build.Step{RunAs: runAs})
	if err != nil {
		return nil, err
	}
	// Each value goes between \035 and \036; whatever else the expansion
	// prints (a failing $(...)'s stderr) goes to out, not into a value.
	var buf bytes.Buffer
	if _, err := x.exec(ctx, st, sess, build.ExpansionScript(words, "> /dev/fd/62"), &buf); err != nil {
		return nil, err
	}
	return build.ExpansionValues(buf.Bytes(), words, out)
}

func (st *state) close() {
	st.outR.Close()
	st.outW.Close()
	os.RemoveAll(st.dir)
}
