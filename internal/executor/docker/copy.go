package docker

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/moby/moby/client"

	"github.com/codeyard/codeyard/internal/build"
)

var _ build.FileCopier = (*Executor)(nil)

// CopyIn copies files restored below hostRoot into the build's container
// through the engine's archive API, so it needs nothing of the image and
// works on a remote engine; see build.FileCopier. The roots' parent
// directories are created when missing, and directories that exist are
// merged with, keeping their mode and owner. Files belong to the
// container's user.
func (x *Executor) CopyIn(ctx context.Context, p *build.Plan, hostRoot string, roots []string) error {
	st, err := x.state(p)
	if err != nil {
		return err
	}
	for _, root := range roots {
		if root == "/" {
			return errors.New("cache path names the whole file system of the build container; name a directory below /")
		}
		host := filepath.Join(hostRoot, filepath.FromSlash(root))
		if _, err := os.Lstat(host); errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return err
		}
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(writeTar(pw, host, strings.TrimPrefix(root, "/"))) }()
		_, err := x.c.CopyToContainer(ctx, st.id, client.CopyToContainerOptions{
			DestinationPath: "/",
			Content:         pr,
			CopyUIDGID:      true,
		})
		pr.CloseWithError(errors.New("copy ended"))
		if err != nil {
			return fmt.Errorf("copy %s into the build container: %w", root, err)
		}
	}
	return nil
}

// writeTar writes the tree at host to w as entries named name and below.
// A directory at host itself is left out, so the container's directory,
// when it has one, keeps its mode.
func writeTar(w io.Writer, host, name string) error {
	tw := tar.NewWriter(w)
	err := filepath.WalkDir(host, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == host && d.IsDir() {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if fi.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(p); err != nil {
				return err
			}
		} else if !fi.Mode().IsRegular() && !fi.IsDir() {
			return nil // devices, sockets, FIFOs: not cache content
		}
		hdr, err := tar.FileInfoHeader(fi, link)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(host, p)
		hdr.Name = path.Join(name, filepath.ToSlash(rel))
		if fi.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if fi.Mode().IsRegular() {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			_, err = io.Copy(tw, f)
			f.Close()
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	return tw.Close()
}

// CopyOut copies roots of the build's container to the same places below
// hostRoot, through the engine's archive API (which also reads a stopped
// container); see build.FileCopier. Regular files, directories and
// symbolic links are copied, as the calling user; links are written as
// they are, and nothing is written outside hostRoot.
func (x *Executor) CopyOut(ctx context.Context, p *build.Plan, roots []string, hostRoot string) error {
	st, err := x.state(p)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(hostRoot, 0o700); err != nil {
		return err
	}
	r, err := os.OpenRoot(hostRoot)
	if err != nil {
		return err
	}
	defer r.Close()
	for _, root := range roots {
		if root == "/" {
			return errors.New("cache path names the whole file system of the build container; name a directory below /")
		}
		res, err := x.c.CopyFromContainer(ctx, st.id, client.CopyFromContainerOptions{SourcePath: root})
		if isNotFound(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("copy %s out of the build container: %w", root, err)
		}
		parent := strings.TrimPrefix(path.Dir(root), "/")
		err = readTar(r, res.Content, parent)
		res.Content.Close()
		if err != nil {
			return fmt.Errorf("copy %s out of the build container: %w", root, err)
		}
	}
	return nil
}

// readTar unpacks an archive of the engine below dir of r. Entry names
// are relative to dir; the first is the copied root itself.
func readTar(r *os.Root, rd io.Reader, dir string) error {
	if dir != "" {
		if err := r.MkdirAll(filepath.FromSlash(dir), 0o755); err != nil {
			return err
		}
	}
	tr := tar.NewReader(rd)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		clean := path.Clean(hdr.Name)
		if path.IsAbs(clean) || clean == ".." || strings.HasPrefix(clean, "../") {
			return fmt.Errorf("archive entry %q is outside its directory", hdr.Name)
		}
		name := filepath.FromSlash(path.Join(dir, clean))
		mode := fs.FileMode(hdr.Mode) & fs.ModePerm
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := r.Mkdir(name, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
				return err
			}
			if err := r.Chmod(name, mode|0o700); err != nil {
				return err
			}
		case tar.TypeReg:
			f, err := r.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode|0o600)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, tr)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return err
			}
		case tar.TypeSymlink:
			if err := r.Symlink(hdr.Linkname, name); err != nil {
				return err
			}
		case tar.TypeLink:
			old := path.Clean(hdr.Linkname)
			if path.IsAbs(old) || old == ".." || strings.HasPrefix(old, "../") {
				return fmt.Errorf("archive link %q is outside its directory", hdr.Linkname)
			}
			if err := r.Link(filepath.FromSlash(path.Join(dir, old)), name); err != nil {
				return err
			}
		default:
			continue // devices, FIFOs: not cache content
		}
		if hdr.Typeflag != tar.TypeSymlink {
			r.Chtimes(name, hdr.ModTime, hdr.ModTime)
		}
	}
}
