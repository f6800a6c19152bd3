// Package cli implements codeyard's subcommands. Run is the whole program:
// main only calls it, and tests call it directly.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
)

// exitError carries a process exit code out of a command without printing
// anything more: the command has already told the user what went wrong.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// streams are the standard streams a command reads and writes.
type streams struct {
	in          io.Reader
	out, errOut io.Writer
}

// terminal is where a build's log is shown: it stops writing after the
// first error (a closed pipe, a full disk) and never reports one, so the
// build and its log file go on whatever happens to the viewer.
type terminal struct {
	w      io.Writer
	failed bool
}

func (t *terminal) Write(p []byte) (int, error) {
	if !t.failed {
		if _, err := t.w.Write(p); err != nil {
			t.failed = true
		}
	}
	return len(p), nil
}

// Run runs codeyard with args (without the program name) and returns the
// process exit code. SIGINT, SIGTERM and SIGHUP cancel the context the
// command runs with.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	// Handled, not ignored: a closed pipe on stdout then fails the write
	// (see terminal) instead of killing codeyard mid-build, and the
	// build's own processes still get SIGPIPE's default.
	pipes := make(chan os.Signal, 1)
	signal.Notify(pipes, syscall.SIGPIPE)
	defer signal.Stop(pipes)

	s := streams{in: stdin, out: stdout, errOut: stderr}
	root := &cobra.Command{
		Use:           "codeyard",
		Short:         "Self-hosted AWS developer tools: CodeBuild, CodePipeline, CodeDeploy, CodeArtifact",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.AddCommand(newBuildspecCmd(s), newBuildCmd(s), newCacheCmd(s), newServeCmd(s), newCredentialsCmd(s), newUsersCmd(s), newWebhookCmd(s))

	err := root.ExecuteContext(ctx)
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	default:
		fmt.Fprintf(stderr, "codeyard: %v\n", err)
		return 2
	}
}
