package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/codeyard/codeyard/internal/cache"
)

// Tools are the helper commands CodeBuild puts on a build's PATH. The
// codeyard binary is each of them when it is run under its name: local
// builds find links to it in a directory that starts their PATH.
var tools = map[string]func(args []string, stdin io.Reader, stdout, stderr io.Writer) int{
	"codebuild-hash-files": func(args []string, _ io.Reader, out, errOut io.Writer) int {
		return cache.HashFilesMain(args, out, errOut)
	},
	"codebuild-glob-search": globSearchMain,
	"codebuild-tests-run":   testsRunMain,
}

// RunTool runs the helper command named name, and reports false when
// there is no such tool.
func RunTool(name string, args []string, stdin io.Reader, stdout, stderr io.Writer) (int, bool) {
	t, ok := tools[name]
	if !ok {
		return 0, false
	}
	return t(args, stdin, stdout, stderr), true
}

// toolsDir makes (once) the directory of links to this binary, one per
// tool, that builds get at the front of their PATH.
func toolsDir(home string) (string, error) {
	self, err := os.Executable()
	if err != nil {
		return "", err
	}
	if self, err = filepath.EvalSymlinks(self); err != nil {
		return "", err
	}
	dir := filepath.Join(home, "bin")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	for name := range tools {
		link := filepath.Join(dir, name)
		if cur, err := os.Readlink(link); err == nil && cur == self {
			continue
		}
		tmp := link + ".new"
		os.Remove(tmp)
		if err := os.Symlink(self, tmp); err != nil {
			return "", err
		}
		if err := os.Rename(tmp, link); err != nil {
			return "", err
		}
	}
	return dir, nil
}

// globSearchMain is codebuild-glob-search PATTERN...: the files under the
// current directory that match, one per line, sorted. ** crosses
// directories.
func globSearchMain(args []string, _ io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: codebuild-glob-search PATTERN...")
		return 2
	}
	var found []string
	for _, p := range args {
		p = strings.TrimPrefix(filepath.ToSlash(p), "./")
		if !doublestar.ValidatePattern(p) {
			fmt.Fprintf(stderr, "codebuild-glob-search: invalid pattern %q\n", p)
			return 2
		}
		matches, err := doublestar.Glob(os.DirFS("."), p, doublestar.WithFilesOnly(), doublestar.WithFailOnIOErrors())
		if err != nil {
			fmt.Fprintf(stderr, "codebuild-glob-search: %v\n", err)
			return 1
		}
		found = append(found, matches...)
	}
	slices.Sort(found)
	for _, f := range slices.Compact(found) {
		fmt.Fprintln(stdout, f)
	}
	return 0
}

// Shard variables of the builds of a build-fanout; see build.ExpandBatch.
const (
	shardIndexVar = "CODEYARD_SHARD_INDEX"
	shardCountVar = "CODEYARD_SHARD_COUNT"
)

// testsRunMain is codebuild-tests-run --files-search CMD --test-command
// CMD [--sharding-strategy equal-distribution|stability]: it lists the
// test files with the files-search command, keeps this shard's share, and
// runs the test command with those files appended (and in
// CODEBUILD_CURRENT_SHARD_FILES, one per line).
func testsRunMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("codebuild-tests-run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	search := fs.String("files-search", "", "command that prints the test files, one per line")
	test := fs.String("test-command", "", "command that runs the tests; the shard's files are appended")
	strategy := fs.String("sharding-strategy", "equal-distribution", "equal-distribution or stability")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *search == "" || *test == "" {
		fmt.Fprintln(stderr, "codebuild-tests-run: --files-search and --test-command are required")
		return 2
	}
	if *strategy != "equal-distribution" && *strategy != "stability" {
		fmt.Fprintf(stderr, "codebuild-tests-run: --sharding-strategy %q: want equal-distribution or stability\n", *strategy)
		return 2
	}
	index, count := 0, 1
	if n, err := strconv.Atoi(os.Getenv(shardCountVar)); err == nil && n > 0 {
		count = n
		if i, err := strconv.Atoi(os.Getenv(shardIndexVar)); err == nil && i >= 0 && i < n {
			index = i
		}
	}
	var out bytes.Buffer
	cmd := exec.Command("/bin/sh", "-c", *search)
	cmd.Stdout, cmd.Stderr = &out, stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(stderr, "codebuild-tests-run: files-search %q: %v\n", *search, err)
		return 1
	}
	var files []string
	for line := range strings.Lines(out.String()) {
		if l := strings.TrimSpace(line); l != "" {
			files = append(files, l)
		}
	}
	mine := Shard(files, index, count, *strategy)
	fmt.Fprintf(stderr, "codebuild-tests-run: shard %d of %d runs %d of %d test file(s)\n", index+1, count, len(mine), len(files))
	if len(mine) == 0 {
		return 0
	}
	quoted := make([]string, len(mine))
	for i, f := range mine {
		quoted[i] = "'" + strings.ReplaceAll(f, "'", `'\''`) + "'"
	}
	run := exec.CommandContext(context.Background(), "/bin/sh", "-c", *test+" "+strings.Join(quoted, " "))
	run.Stdin, run.Stdout, run.Stderr = stdin, stdout, stderr
	run.Env = append(os.Environ(), "CODEBUILD_CURRENT_SHARD_FILES="+strings.Join(mine, "\n"))
	if err := run.Run(); err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		fmt.Fprintf(stderr, "codebuild-tests-run: %v\n", err)
		return 1
	}
	return 0
}

// Shard returns the files of shard index (0-based) of count. With
// equal-distribution the sorted files are cut into count contiguous
// chunks whose sizes differ by at most one; with stability each file goes
// to the shard that scores highest for it (rendezvous hashing), so adding
// or removing files moves no other file.
func Shard(files []string, index, count int, strategy string) []string {
	files = slices.Clone(files)
	slices.Sort(files)
	files = slices.Compact(files)
	if count <= 1 {
		return files
	}
	if strategy == "stability" {
		var mine []string
		for _, f := range files {
			best, bestScore := 0, uint64(0)
			for s := range count {
				h := sha256.Sum256([]byte(strconv.Itoa(s) + "\x00" + f))
				if score := binary.BigEndian.Uint64(h[:8]); s == 0 || score > bestScore {
					best, bestScore = s, score
				}
			}
			if best == index {
				mine = append(mine, f)
			}
		}
		return mine
	}
	size, extra := len(files)/count, len(files)%count
	start := index*size + min(index, extra)
	end := start + size
	if index < extra {
		end++
	}
	return files[start:end]
}
