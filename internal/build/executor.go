package build

import (
	"context"
	"io"
)

// Executor runs the steps of a Plan in a build environment: host processes,
// or a container.
//
// The Engine calls Setup once, then Run for each step in order (never two
// Runs at once for one Plan), then Destroy. Destroy removes everything Setup
// and Run created; it is safe to call after a failed Setup and more than
// once, and it must finish even when ctx is already cancelled.
//
// Run writes everything the step prints, stdout and stderr merged in the
// order they were written, to out. A command that exits non-zero is a
// result, not an error: Run returns its exit code and a nil error. An error
// means the executor itself failed (the build faults). When ctx is
// cancelled, Run stops the step's whole process tree (a signal, then
// SIGKILL after a grace period), returns within five seconds, and returns
// ctx's error.
//
// Steps of a version 0.2 plan share one shell instance per run-as user:
// variables, the working directory and functions carry over from one Run to
// the next. In a version 0.1 plan every step runs in a shell of its own.
type Executor interface {
	Setup(ctx context.Context, p *Plan) error
	Run(ctx context.Context, p *Plan, s Step, out io.Writer) (exitCode int, err error)
	Destroy(ctx context.Context, p *Plan) error
}

// Checker is implemented by executors that cannot run every plan (a host
// executor cannot run a Windows shell, say). The Engine calls Check after
// compiling a plan, in DOWNLOAD_SOURCE, so the build fails there with the
// error's context rather than in the middle of a phase.
type Checker interface {
	Check(p *Plan) error
}

// Drainer is implemented by executors whose processes can write after the
// last step's end (background processes, a tee the shell piped itself
// through). The Engine calls Drain once, after the last step and before
// UPLOAD_ARTIFACTS: it ends the build's processes and copies what they
// wrote to out. No Run may follow.
type Drainer interface {
	Drain(ctx context.Context, p *Plan, out io.Writer) error
}

// VarReader is implemented by executors that can read variables out of a
// build's shell: the Engine reads the exported-variables through it after
// the last user phase, from the shell of the user that ran last. An
// executor without it exports the values the plan's environment gives.
type VarReader interface {
	ReadVars(ctx context.Context, p *Plan, runAs string, names []string) (map[string]string, error)
}

// Expander is implemented by executors that can have a build's shell
// expand words as a double-quoted string: the artifacts names of a
// buildspec ("build-$CODEBUILD_BUILD_NUMBER.zip", "$(date +%F)"), in the
// shell of the user that ran last.
type Expander interface {
	// Expand writes whatever else the expansion prints (a failing
	// command substitution's stderr) to out.
	Expand(ctx context.Context, p *Plan, runAs string, words []string, out io.Writer) ([]string, error)
}

// ListRunner is implemented by executors that can run a list of steps in
// one go (a phase's commands, its finally commands): the Engine then does
// not wait for each command before sending the next. RunList runs steps
// in order until one fails (non-zero) and returns the index of the one
// that failed and its status, or len(steps) and 0. It calls h.Start(i)
// just before step i's output and h.End(i, code) just after it, from the
// goroutine that writes out, so the Engine's lines fall between the
// commands' output. All steps share RunAs and Env. Errors are as for Run.
type ListRunner interface {
	RunList(ctx context.Context, p *Plan, steps []Step, out io.Writer, h ListHooks) (failed int, code int, err error)
}

// ListHooks are called around each step of a RunList.
type ListHooks struct {
	Start func(i int)
	End   func(i, code int)
}

// FileCopier is implemented by executors whose builds have a file system
// of their own (a container's). The Engine restores the absolute cache
// paths below Request.CacheRoot on the host and has CopyIn put them in
// place; before a save it empties those places below CacheRoot and has
// CopyOut bring the build's files there. roots are paths in the build's
// file system, as cache.AbsoluteRoots gives them.
type FileCopier interface {
	// CopyIn copies what is at each root below hostRoot (a file, or a
	// directory with everything below it) to the root in the build's
	// file system, merging with directories there. A root missing below
	// hostRoot is skipped.
	CopyIn(ctx context.Context, p *Plan, hostRoot string, roots []string) error
	// CopyOut copies each root of the build's file system, with
	// everything below it, to the same place below hostRoot. A root the
	// build does not have is skipped.
	CopyOut(ctx context.Context, p *Plan, roots []string, hostRoot string) error
}
