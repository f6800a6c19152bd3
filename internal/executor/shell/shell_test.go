package shell_test

import (
	"os"
	"testing"

	"github.com/codeyard/codeyard/internal/build"
	"github.com/codeyard/codeyard/internal/executor/executortest"
	"github.com/codeyard/codeyard/internal/executor/shell"
)

func TestConformance(t *testing.T) {
	executortest.Run(t, executortest.Env{
		New:     func(t *testing.T) build.Executor { return shell.New(shell.Options{}) },
		SrcDir:  func(ws string) string { return ws },
		BaseEnv: []string{"PATH=" + os.Getenv("PATH")},
	})
}
