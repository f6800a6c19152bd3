// Command codeyard is the codeyard binary: the server, the build worker and
// the command-line client in one.
package main

import (
	"context"
	"os"

	"github.com/codeyard/codeyard/internal/cli"
)

func main() {
	os.Exit(cli.Run(context.Background(), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
