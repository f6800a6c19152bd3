// Command codeyard is the codeyard binary: the server, the build worker and
// the command-line client in one.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/codeyard/codeyard/internal/cli"
)

func main() {
	// Run as one of CodeBuild's helper commands (codebuild-hash-files, ...)
	// through a link of that name.
	if code, ok := cli.RunTool(filepath.Base(os.Args[0]), os.Args[1:], os.Stdin, os.Stdout, os.Stderr); ok {
		os.Exit(code)
	}
	code := cli.Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	if path := os.Getenv("CODEYARD_RUSAGE_FILE"); path != "" {
		// For bench/run: codeyard's own peak memory, without its children.
		var ru syscall.Rusage
		if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
			os.WriteFile(path, fmt.Appendf(nil, "%d\n", ru.Maxrss), 0o644)
		}
	}
	os.Exit(code)
}
