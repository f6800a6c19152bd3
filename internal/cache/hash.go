package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// ErrNoMatch is returned by HashFiles when no file matches.
var ErrNoMatch = errors.New("no files matched")

// HashFiles implements codebuild-hash-files: the SHA-256 of the files
// below root that the globs match, as lowercase hex.
//
// CodeBuild documents only that the tool "calculates a SHA-256 hash for a
// set of files in the CodeBuild source directory using glob patterns"
// (caching-s3, "codebuild-hash-files"). HashFiles fixes the rest so that
// the result can be checked with standard tools: the regular files matched
// by any glob (a symbolic link to a file counts as that file; directories
// are not matched), each once, sorted by slash-separated path in byte
// order, are hashed as one concatenated stream. The hash of one file is
// therefore its sha256sum, and of several "cat $files | sha256sum" in that
// order. Globs are relative to root and use "**" to cross directories; an
// absolute glob or one with ".." is an error, since the tool hashes files in
// the source directory.
func HashFiles(root string, globs []string) (string, error) {
	files, err := hashedFiles(root, globs)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	buf := make([]byte, 256<<10)
	for _, name := range files {
		f, err := os.Open(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil {
			return "", fmt.Errorf("hash files: %w", err)
		}
		_, err = io.CopyBuffer(h, f, buf)
		f.Close()
		if err != nil {
			return "", fmt.Errorf("hash files: %s: %w", name, err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashedFiles returns the sorted files HashFiles hashes.
func hashedFiles(root string, globs []string) ([]string, error) {
	if len(globs) == 0 {
		return nil, errors.New("hash files: no glob patterns")
	}
	fsys := os.DirFS(root)
	seen := map[string]bool{}
	var files []string
	for _, g := range globs {
		if strings.HasPrefix(g, "/") {
			return nil, fmt.Errorf("hash files: %q: patterns are relative to the source directory", g)
		}
		clean := strings.TrimPrefix(g, "./")
		for part := range strings.SplitSeq(clean, "/") {
			if part == ".." {
				return nil, fmt.Errorf("hash files: %q: must not contain ..", g)
			}
		}
		matches, err := doublestar.Glob(fsys, clean, doublestar.WithFilesOnly(), doublestar.WithFailOnIOErrors())
		if err != nil {
			return nil, fmt.Errorf("hash files: %q: %w", g, err)
		}
		for _, m := range matches {
			if !seen[m] {
				seen[m] = true
				files = append(files, m)
			}
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("hash files %s: %w", strings.Join(globs, " "), ErrNoMatch)
	}
	slices.Sort(files)
	return files, nil
}

// HashFilesMain is the codebuild-hash-files command: args are its glob
// patterns (without the program name), resolved against the working
// directory. It prints the hash and a newline to stdout and returns 0. With
// no patterns it prints usage and returns 2; when nothing matches or a file
// cannot be read, it prints the error to stderr, nothing to stdout, and
// returns 1, so that a key like npm-$(codebuild-hash-files x) never gets the
// hash of nothing.
func HashFilesMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprintln(stderr, "usage: codebuild-hash-files <glob-pattern-1> <glob-pattern-2> ...")
		return 2
	}
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintf(stderr, "codebuild-hash-files: %v\n", err)
		return 1
	}
	sum, err := HashFiles(wd, args)
	if err != nil {
		fmt.Fprintf(stderr, "codebuild-hash-files: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, sum)
	return 0
}
