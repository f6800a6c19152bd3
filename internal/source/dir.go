// Package source fetches a build's sources into its workspace. Dir copies
// a local directory, as `codeyard build` does; Git clones a repository
// with the git CLI at a CodeBuild source version (branch, tag, commit,
// pr/N), for the server's git source types, primary and secondary; S3
// unpacks a ZIP file, or copies a folder, from the server's S3 store.
package source

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/codeyard/codeyard/internal/build"
)

var _ build.Source = Dir{}

// Dir is a local directory used as a build's source: copied into the
// workspace, or used where it is when InPlace is set.
type Dir struct {
	Path    string
	InPlace bool
	// Version is the requested source version; empty means the checked
	// out commit, if the directory is a git work tree.
	Version string
	// Exclude names absolute paths not to copy: codeyard's own output
	// directories when they are inside the source.
	Exclude []string
}

// Fetch copies the directory into dst (unless in place) and reads the git
// commit and remote the directory is at.
func (d Dir) Fetch(ctx context.Context, dst string) (build.SourceInfo, error) {
	info := build.SourceInfo{Location: "file://" + d.Path}
	if url := gitRemote(d.Path); url != "" {
		info.Location = url
	}
	info.ResolvedVersion = gitHead(d.Path)
	info.Version = d.Version
	if info.Version == "" {
		info.Version = info.ResolvedVersion
	}
	if d.InPlace {
		return info, nil
	}
	if err := copyTree(ctx, d.Path, dst, d.Exclude); err != nil {
		return info, &build.ContextError{StatusCode: build.CodeClientError, Message: err.Error()}
	}
	return info, nil
}

// CopyTree copies the tree at src into dst, which must exist: regular
// files with their modes (in-kernel copies where the file system allows),
// directories and symbolic links as they are. Other files are skipped.
func CopyTree(ctx context.Context, src, dst string) error {
	return copyTree(ctx, src, dst, nil)
}

func copyTree(ctx context.Context, src, dst string, exclude []string) error {
	return filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if slices.Contains(exclude, path) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		target := filepath.Join(dst, rel)
		switch t := d.Type(); {
		case t.IsDir():
			fi, err := d.Info()
			if err != nil {
				return err
			}
			return os.Mkdir(target, fi.Mode().Perm()|0o700)
		case t&fs.ModeSymlink != 0:
			link, err := os.Readlink(path)
			if err != nil {
				return err
			}
			return os.Symlink(link, target)
		case t.IsRegular():
			return copyFile(path, target)
		}
		return nil
	})
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	fi, err := in.Stat()
	if err != nil {
		return err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fi.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return out.Close()
}

// gitDir finds the .git directory of the work tree dir is in.
func gitDir(dir string) string {
	for d := dir; ; {
		g := filepath.Join(d, ".git")
		if fi, err := os.Stat(g); err == nil {
			if fi.IsDir() {
				return g
			}
			// A worktree or submodule: "gitdir: <path>".
			if b, err := os.ReadFile(g); err == nil {
				if p, ok := strings.CutPrefix(strings.TrimSpace(string(b)), "gitdir: "); ok {
					if !filepath.IsAbs(p) {
						p = filepath.Join(d, p)
					}
					return p
				}
			}
			return ""
		}
		parent := filepath.Dir(d)
		if parent == d {
			return ""
		}
		d = parent
	}
}

// gitHead returns the commit HEAD points at, read straight from the
// repository files (no git process), or "".
func gitHead(dir string) string {
	g := gitDir(dir)
	if g == "" {
		return ""
	}
	b, err := os.ReadFile(filepath.Join(g, "HEAD"))
	if err != nil {
		return ""
	}
	head := strings.TrimSpace(string(b))
	ref, ok := strings.CutPrefix(head, "ref: ")
	if !ok {
		return head
	}
	common := g
	if b, err := os.ReadFile(filepath.Join(g, "commondir")); err == nil {
		c := strings.TrimSpace(string(b))
		if !filepath.IsAbs(c) {
			c = filepath.Join(g, c)
		}
		common = c
	}
	for _, base := range []string{g, common} {
		if b, err := os.ReadFile(filepath.Join(base, filepath.FromSlash(ref))); err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	f, err := os.Open(filepath.Join(common, "packed-refs"))
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if sha, name, ok := strings.Cut(sc.Text(), " "); ok && name == ref {
			return sha
		}
	}
	return ""
}

// gitRemote returns the URL of the "origin" remote, or "".
func gitRemote(dir string) string {
	g := gitDir(dir)
	if g == "" {
		return ""
	}
	cfg := filepath.Join(g, "config")
	if _, err := os.Stat(cfg); errors.Is(err, fs.ErrNotExist) {
		if b, err := os.ReadFile(filepath.Join(g, "commondir")); err == nil {
			cfg = filepath.Join(g, strings.TrimSpace(string(b)), "config")
		}
	}
	f, err := os.Open(cfg)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	in := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(line, "[") {
			in = line == `[remote "origin"]`
			continue
		}
		if k, v, ok := strings.Cut(line, "="); in && ok && strings.TrimSpace(k) == "url" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
