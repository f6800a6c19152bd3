// Package cli implements codeyard's subcommands. Run is the whole program:
// main only calls it, and tests call it directly.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
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

// Run runs codeyard with args (without the program name) and returns the
// process exit code. SIGINT and SIGTERM cancel the context the command runs
// with.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()

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
	root.AddCommand(newBuildspecCmd(s), newBuildCmd(s))

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
