package artifact

import (
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/klauspost/compress/zip"
)

// bufPool holds copy buffers, so that packaging thousands of small files
// does not allocate one each.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// WriteZip writes entries to w as a ZIP archive, in order. Files are
// deflated (klauspost/compress at its default level, with pooled
// compressors); directories and symbolic links are stored, a link holding
// its target as content. Every entry records its Unix mode and
// modification time, as Info-ZIP's zip does, so unzip restores
// permissions and links.
//
// WriteZip fails on an entry whose Path is not a valid relative path, and
// on a file whose Source is no longer the regular file Collect saw (for
// example because it was replaced by a symbolic link). On error w holds a
// truncated archive; the caller discards it.
func WriteZip(w io.Writer, entries []Entry) error {
	zw := zip.NewWriter(w)
	for _, e := range entries {
		if err := writeZipEntry(zw, e); err != nil {
			return err
		}
	}
	return zw.Close()
}

func writeZipEntry(zw *zip.Writer, e Entry) error {
	if err := checkPath(e.Path); err != nil {
		return err
	}
	h := &zip.FileHeader{Name: e.Path, Modified: e.ModTime, Method: zip.Store}
	switch {
	case e.Mode&fs.ModeSymlink != 0:
		h.SetMode(fs.ModeSymlink | 0o777)
		fw, err := zw.CreateHeader(h)
		if err != nil {
			return err
		}
		_, err = io.WriteString(fw, e.Link)
		return err
	case e.Mode&fs.ModeDir != 0:
		h.Name += "/"
		h.SetMode(fs.ModeDir | e.Mode.Perm())
		_, err := zw.CreateHeader(h)
		return err
	case e.Mode.Type() != 0:
		return fmt.Errorf("artifact entry %s: unsupported file type %v", e.Path, e.Mode.Type())
	}
	f, err := openRegular(e)
	if err != nil {
		return err
	}
	defer f.Close()
	h.Method = zip.Deflate
	h.SetMode(e.Mode.Perm())
	fw, err := zw.CreateHeader(h)
	if err != nil {
		return err
	}
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	if _, err := io.CopyBuffer(onlyWriter{fw}, onlyReader{f}, *buf); err != nil {
		return fmt.Errorf("package %s: %w", e.Path, err)
	}
	return nil
}

// onlyWriter and onlyReader hide ReadFrom and WriteTo, so that CopyBuffer
// uses the pooled buffer.
type onlyWriter struct{ io.Writer }
type onlyReader struct{ io.Reader }

// checkPath rejects artifact paths that would land outside the artifact
// when extracted or copied.
func checkPath(p string) error {
	if p == "." || !fs.ValidPath(p) || strings.Contains(p, `\`) {
		return fmt.Errorf("artifact entry %q: invalid path", p)
	}
	return nil
}

// openRegular opens a file entry's source, making sure it is still the
// regular file it was: not a link, and not another file renamed into its
// place after the check.
func openRegular(e Entry) (*os.File, error) {
	before, err := os.Lstat(e.Source)
	if err != nil {
		return nil, fmt.Errorf("artifact entry %s: %w", e.Path, err)
	}
	if !before.Mode().IsRegular() {
		return nil, fmt.Errorf("artifact entry %s: %s is no longer a regular file", e.Path, e.Source)
	}
	f, err := os.Open(e.Source)
	if err != nil {
		return nil, fmt.Errorf("artifact entry %s: %w", e.Path, err)
	}
	after, err := f.Stat()
	if err != nil || !os.SameFile(before, after) {
		f.Close()
		return nil, fmt.Errorf("artifact entry %s: %s changed while it was being packaged", e.Path, e.Source)
	}
	return f, nil
}

// CopyTree writes entries below dstDir, for packaging NONE: each file is
// copied with its permission bits and modification time, each directory
// created and each symbolic link recreated. dstDir must not exist, or be an
// empty directory; its parent must exist.
//
// The tree is first written to a temporary directory next to dstDir and
// renamed into place when complete, so dstDir either holds the whole
// artifact or does not appear. Links are created last, so no file is ever
// written through one.
func CopyTree(dstDir string, entries []Entry) (err error) {
	for _, e := range entries {
		if err := checkPath(e.Path); err != nil {
			return err
		}
	}
	if err := checkTree(entries); err != nil {
		return err
	}
	dstDir = filepath.Clean(dstDir)
	tmp, err := os.MkdirTemp(filepath.Dir(dstDir), "."+filepath.Base(dstDir)+".tmp-")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	var dirs, links []Entry
	for _, e := range entries {
		dst := filepath.Join(tmp, filepath.FromSlash(e.Path))
		switch {
		case e.Mode&fs.ModeSymlink != 0:
			links = append(links, e)
		case e.Mode&fs.ModeDir != 0:
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return err
			}
			dirs = append(dirs, e)
		case e.Mode.Type() != 0:
			return fmt.Errorf("artifact entry %s: unsupported file type %v", e.Path, e.Mode.Type())
		default:
			if err := copyFile(dst, e); err != nil {
				return err
			}
		}
	}
	for _, e := range links {
		dst := filepath.Join(tmp, filepath.FromSlash(e.Path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.Symlink(e.Link, dst); err != nil {
			return err
		}
	}
	// Directory modes last and deepest first: a read-only directory would
	// refuse the files still to be written into it.
	slices.SortFunc(dirs, func(a, b Entry) int { return strings.Compare(b.Path, a.Path) })
	for _, e := range dirs {
		dst := filepath.Join(tmp, filepath.FromSlash(e.Path))
		if err := os.Chmod(dst, e.Mode.Perm()); err != nil {
			return err
		}
		if !e.ModTime.IsZero() {
			if err := os.Chtimes(dst, e.ModTime, e.ModTime); err != nil {
				return err
			}
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		return err
	}
	if err := os.Rename(tmp, dstDir); err != nil {
		return fmt.Errorf("artifact folder: %w", err)
	}
	return nil
}

func copyFile(dst string, e Entry) error {
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	src, err := openRegular(e)
	if err != nil {
		return err
	}
	defer src.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	_, err = io.CopyBuffer(onlyWriter{out}, onlyReader{src}, *buf)
	if err == nil {
		err = out.Chmod(e.Mode.Perm())
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil && !e.ModTime.IsZero() {
		err = os.Chtimes(dst, e.ModTime, e.ModTime)
	}
	if err != nil {
		return fmt.Errorf("copy %s: %w", e.Path, err)
	}
	return nil
}

// checkTree rejects entries that put one entry below a file or link entry,
// or two entries at the same path: written out, a file would land where a
// link points.
func checkTree(entries []Entry) error {
	kind := make(map[string]fs.FileMode, len(entries))
	for _, e := range entries {
		if _, dup := kind[e.Path]; dup {
			return fmt.Errorf("artifact entry %s: duplicate path", e.Path)
		}
		kind[e.Path] = e.Mode.Type()
	}
	for _, e := range entries {
		for p := path.Dir(e.Path); p != "."; p = path.Dir(p) {
			if t, ok := kind[p]; ok && t&fs.ModeDir == 0 {
				return fmt.Errorf("artifact entry %s: %s is not a directory", e.Path, p)
			}
		}
	}
	return nil
}
