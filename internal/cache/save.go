package cache

import (
	"archive/tar"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// Save archives the files that paths name and stores them under key in
// project, the cache scope (the project's cache namespace, or its name when
// it has none). It is called at the end of a build unless the buildspec's
// cache action is "restore".
//
// Cache paths are globs ("**" crosses directories); a path starting with "/"
// is absolute, any other is relative to src.SourceDir. They are used as
// given: the engine expands variables in them first, as CodeBuild does
// ("/root/.pyenv/versions/${python_version}/..." in caching-s3). A path without glob
// characters names a file, or a directory that is cached with everything
// below it. Symbolic links are archived as links and never followed; only
// permission bits and modification times are kept, not owners.
//
// With a key, the entry is immutable: if the key already has an entry with
// the same cache paths, Save logs that and writes nothing (Outcome Exists),
// also when another build saved it a moment earlier. Without a key, Save
// replaces the project's single unkeyed entry. The new entry appears whole
// or not at all. If nothing matches, Save writes nothing (Outcome Empty).
func (s *Store) Save(ctx context.Context, key, project string, paths []string, src Targets) (Result, error) {
	start := time.Now()
	res, pats, err := begin("save", paths)
	if err != nil || res.Outcome == Skipped {
		return res, err
	}
	res.Key = key
	final := s.entryPath(entryName(project, key, version(pats)))
	if key != "" {
		if _, err := os.Lstat(final); err == nil {
			res.Outcome = Exists
			res.logf(lineExists, key)
			res.Duration = time.Since(start)
			return res, nil
		}
	}
	res.logf("%s", lineUploading)

	items, closeRoots, err := collect(ctx, pats, src)
	defer closeRoots()
	if err != nil {
		return res, fmt.Errorf("save cache: %w", err)
	}
	if len(items) == 0 {
		res.Outcome = Empty
		res.logf("%s", lineNothing)
		res.Duration = time.Since(start)
		return res, nil
	}

	tmp, err := os.CreateTemp(filepath.Join(s.dir, tmpDir), filepath.Base(final)+".*")
	if err != nil {
		return res, fmt.Errorf("save cache: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the commit, only the link or new name remains
	h := header{Key: key, Project: project, Version: version(pats), Paths: paths, Created: s.now().UTC()}
	err = s.writeEntry(ctx, tmp, items, &h)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return res, fmt.Errorf("save cache: %w", err)
	}
	// An entry's modification time is when it was last used.
	if err := os.Chtimes(tmp.Name(), h.Created, h.Created); err != nil {
		return res, fmt.Errorf("save cache: %w", err)
	}
	fi, err := os.Stat(tmp.Name())
	if err != nil {
		return res, fmt.Errorf("save cache: %w", err)
	}

	if key != "" {
		// Link fails if the name exists, so of two builds saving the same
		// key at once, exactly one succeeds.
		err = os.Link(tmp.Name(), final)
		if errors.Is(err, fs.ErrExist) {
			res.Outcome = Exists
			res.logf(lineExists, key)
			res.Duration = time.Since(start)
			return res, nil
		}
	} else {
		err = os.Rename(tmp.Name(), final)
	}
	if err != nil {
		return res, fmt.Errorf("save cache: %w", err)
	}
	res.Outcome = Saved
	res.Files, res.Bytes, res.ArchiveBytes = h.Files, h.Bytes, fi.Size()
	res.Duration = time.Since(start)
	if key != "" {
		res.logf(lineSaved, key, res.Files, res.Bytes, res.ArchiveBytes, since(start))
	} else {
		res.logf(lineSavedProject, project, res.Files, res.Bytes, res.ArchiveBytes, since(start))
	}
	return res, nil
}

// item is one file, directory or symbolic link to archive.
type item struct {
	name string   // archive name: kind "/" path
	root *os.Root // the root the file is read through
	rel  string   // its path below root
	fi   fs.FileInfo
}

// collect expands pats below src. Files are read through an os.Root per
// cache path base, so a symbolic link in the source tree cannot make Save
// archive files from outside it. The caller must call the returned func.
func collect(ctx context.Context, pats []pattern, src Targets) ([]item, func(), error) {
	opened := map[root]*os.Root{}
	closeAll := func() {
		for _, r := range opened {
			r.Close()
		}
	}
	seen := map[string]bool{}
	var items []item
	add := func(r *os.Root, kind, base, rel string) error {
		name := kind + "/" + path.Join(base, rel)
		if seen[name] || strings.Contains(name, "/"+stagingPrefix) {
			return nil // a crashed Restore's leftovers are not cached
		}
		fi, err := r.Lstat(rel)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		switch {
		case fi.Mode().IsRegular(), fi.IsDir(), fi.Mode()&fs.ModeSymlink != 0:
		default:
			return nil // sockets, devices and pipes are not cached
		}
		seen[name] = true
		items = append(items, item{name: name, root: r, rel: rel, fi: fi})
		return nil
	}
	for _, p := range pats {
		if err := ctx.Err(); err != nil {
			return nil, closeAll, err
		}
		key := root{p.kind, p.base}
		r, ok := opened[key]
		if !ok {
			var err error
			r, err = openRoot(src, p.kind, p.base, false)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, closeAll, fmt.Errorf("cache path %q: %w", p.raw, err)
			}
			opened[key] = r
		}
		if p.literal() {
			rel := strings.TrimPrefix(strings.TrimPrefix(p.full, p.base), "/")
			fi, err := r.Lstat(rel)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				return nil, closeAll, fmt.Errorf("cache path %q: %w", p.raw, err)
			}
			if !fi.IsDir() {
				if err := add(r, p.kind, p.base, rel); err != nil {
					return nil, closeAll, err
				}
				continue
			}
			err = fs.WalkDir(r.FS(), rel, func(name string, _ fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				return add(r, p.kind, p.base, name)
			})
			if err != nil {
				return nil, closeAll, fmt.Errorf("cache path %q: %w", p.raw, err)
			}
			continue
		}
		matches, err := doublestar.Glob(r.FS(), p.glob, doublestar.WithNoFollow())
		if err != nil {
			return nil, closeAll, fmt.Errorf("cache path %q: %w", p.raw, err)
		}
		for _, m := range matches {
			if err := add(r, p.kind, p.base, m); err != nil {
				return nil, closeAll, err
			}
		}
	}
	// Sorted, a directory comes before what it holds.
	slices.SortFunc(items, func(a, b item) int { return strings.Compare(a.name, b.name) })
	return items, closeAll, nil
}

// openRoot opens the directory of a cache path base. Below the source
// directory, the base is resolved inside it, so a link in the checked-out
// tree cannot point it elsewhere; absolute bases are the host's business.
// With create, missing directories are made.
func openRoot(t Targets, kind, base string, create bool) (*os.Root, error) {
	if kind == kindAbs {
		dir, err := t.hostDir(kind, base)
		if err != nil {
			return nil, err
		}
		if create {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				return nil, err
			}
		}
		return os.OpenRoot(dir)
	}
	top, err := t.hostDir(kindSource, "")
	if err != nil {
		return nil, err
	}
	sr, err := os.OpenRoot(top)
	if err != nil || base == "" {
		return sr, err
	}
	defer sr.Close()
	if create {
		if err := sr.MkdirAll(base, 0o755); err != nil {
			return nil, err
		}
	}
	return sr.OpenRoot(base)
}

// writeEntry writes the entry file: magic, archive, header. It fills in the
// header's counts.
func (s *Store) writeEntry(ctx context.Context, f *os.File, items []item, h *header) error {
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := writeMagic(bw); err != nil {
		return err
	}
	enc, err := s.getEncoder(bw)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(enc)
	buf := make([]byte, 1<<20)
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			enc.Close()
			return err
		}
		n, err := writeItem(tw, it, buf)
		if err != nil {
			enc.Close()
			return fmt.Errorf("archive %s: %w", it.name, err)
		}
		if !it.fi.IsDir() && n >= 0 {
			h.Files++
			h.Bytes += n
		}
	}
	if err := tw.Close(); err != nil {
		enc.Close()
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	s.putEncoder(enc)
	if err := writeHeader(bw, *h); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	// The entry outlives this process; make it durable before it appears.
	return f.Sync()
}

// writeItem archives one item and returns the bytes of file content
// written, or -1 when the item vanished before it could be read.
func writeItem(tw *tar.Writer, it item, buf []byte) (int64, error) {
	hdr := &tar.Header{
		Name:    it.name,
		Mode:    int64(it.fi.Mode().Perm()),
		ModTime: it.fi.ModTime(),
		Format:  tar.FormatPAX,
	}
	switch {
	case it.fi.IsDir():
		hdr.Typeflag = tar.TypeDir
		hdr.Name += "/"
		return 0, tw.WriteHeader(hdr)
	case it.fi.Mode()&fs.ModeSymlink != 0:
		target, err := it.root.Readlink(it.rel)
		if errors.Is(err, fs.ErrNotExist) {
			return -1, nil
		}
		if err != nil {
			return 0, err
		}
		hdr.Typeflag = tar.TypeSymlink
		hdr.Linkname = target
		return 0, tw.WriteHeader(hdr)
	}
	f, err := it.root.OpenFile(it.rel, os.O_RDONLY|syscallNoFollow, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return -1, nil
	}
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	if !fi.Mode().IsRegular() {
		return -1, nil // replaced by something else since it was listed
	}
	hdr.Typeflag = tar.TypeReg
	hdr.Size = fi.Size()
	hdr.Mode = int64(fi.Mode().Perm())
	hdr.ModTime = fi.ModTime()
	if err := tw.WriteHeader(hdr); err != nil {
		return 0, err
	}
	n, err := io.CopyBuffer(tw, io.LimitReader(f, hdr.Size), buf)
	if err != nil {
		return n, err
	}
	if n != hdr.Size {
		return n, fmt.Errorf("file shrank from %d to %d bytes while it was archived", hdr.Size, n)
	}
	return n, nil
}
