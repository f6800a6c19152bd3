package source

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/codeyard/codeyard/internal/blob"
	"github.com/codeyard/codeyard/internal/build"
)

var _ build.Source = S3{}

// Objects reads the objects S3 sources come from. *blob.Disk, the
// server's S3 store, satisfies it. Errors wrap blob.ErrNoSuchBucket and
// blob.ErrNoSuchKey.
type Objects interface {
	Open(ctx context.Context, bucket, key string) (blob.Reader, error)
	List(ctx context.Context, bucket string, q blob.ListQuery) (blob.ListResult, error)
}

// VersionedObjects are Objects that keep versions of objects, as
// *blob.Disk does. Its errors wrap blob.ErrNoSuchVersion for a version
// that is not there, blob.ErrInvalidVersion for an id that cannot be one,
// and blob.ErrDeleteMarker for a delete marker.
type VersionedObjects interface {
	Objects
	OpenVersion(ctx context.Context, bucket, key, versionID string) (blob.Reader, error)
}

var _ VersionedObjects = (*blob.Disk)(nil)

// S3 is a source of type S3: a ZIP file (Location "bucket/path/to/src.zip"),
// unpacked into the workspace, or a folder (Location "bucket/path/to/src/",
// ending in a slash, or a bare bucket name), whose objects are copied into
// it below their path in the folder.
//
// Version is CodeBuild's sourceVersion for S3, the object's version id:
// the ZIP file is read at that version when Objects are VersionedObjects.
// Other Objects keep no versions: every object has the one S3 gives
// objects of an unversioned bucket, "null", and any other version is
// refused. A version for a folder is refused, as CodeBuild does.
//
// As in CodeBuild, CODEBUILD_SOURCE_REPO_URL is s3://bucket/key, and
// CODEBUILD_SOURCE_VERSION the version, or when none was asked for the
// object's ARN (arn:aws:s3:::bucket/key), the form CodeBuild names S3
// sources in.
type S3 struct {
	Objects  Objects
	Location string
	Version  string
	// Identifier is a secondary source's sourceIdentifier, empty for the
	// primary source. Error messages name the source with it.
	Identifier string
}

// Fetch places the source in dir, which exists and is empty. The errors a
// user has to fix (no such bucket or key, a version the store does not
// have, an object that is no ZIP file, an entry that would land outside
// dir) are *build.ContextError with status CLIENT_ERROR, worded as
// CodeBuild words the S3 errors it meets.
func (s S3) Fetch(ctx context.Context, dir string) (build.SourceInfo, error) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(s.Location, "s3://"), "/")
	obj := bucket
	if key != "" {
		obj += "/" + key
	}
	info := build.SourceInfo{Location: "s3://" + obj, Version: s.Version}
	if info.Version == "" {
		info.Version = "arn:aws:s3:::" + obj
	}
	folder := key == "" || strings.HasSuffix(key, "/")
	switch {
	case folder && s.Version != "":
		return info, s.clientError(info.Version, "Source version should be empty for S3 folder source location")
	case s.Version != "" && s.Version != blob.NullVersion && !s.versioned():
		return info, s.clientError(info.Version, "NoSuchVersion: The specified version does not exist.\n\tstatus code: 404 (this source's object store keeps no object versions)")
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return info, err
	}
	defer root.Close()
	if folder {
		err = s.copyFolder(ctx, root, bucket, key)
	} else {
		err = s.unzip(ctx, root, bucket, key)
	}
	var ce *build.ContextError
	switch {
	case errors.Is(err, blob.ErrNoSuchBucket):
		return info, s.clientError(info.Version, "NoSuchBucket: The specified bucket does not exist\n\tstatus code: 404")
	case errors.Is(err, blob.ErrNoSuchKey):
		return info, s.clientError(info.Version, "NoSuchKey: The specified key does not exist.\n\tstatus code: 404")
	case errors.Is(err, blob.ErrNoSuchVersion), errors.Is(err, blob.ErrInvalidVersion):
		// An id the store could not have made names no version either.
		return info, s.clientError(info.Version, "NoSuchVersion: The specified version does not exist.\n\tstatus code: 404")
	case errors.Is(err, blob.ErrDeleteMarker):
		return info, s.clientError(info.Version, "MethodNotAllowed: The specified method is not allowed against this resource.\n\tstatus code: 405")
	case errors.As(err, &ce):
		return info, s.clientError(info.Version, ce.Message)
	}
	return info, err
}

// versioned reports whether Objects read versions.
func (s S3) versioned() bool {
	_, ok := s.Objects.(VersionedObjects)
	return ok
}

// clientError words a failure as CodeBuild does: "<what> for primary source
// and source version <v>".
func (s S3) clientError(version, what string) *build.ContextError {
	which := "primary source"
	if s.Identifier != "" {
		which = "secondary source " + s.Identifier
	}
	return &build.ContextError{StatusCode: build.CodeClientError, Message: fmt.Sprintf("%s for %s and source version %s", what, which, version)}
}

// badSource is a source the user has to fix.
func badSource(format string, args ...any) error {
	return &build.ContextError{StatusCode: build.CodeClientError, Message: fmt.Sprintf(format, args...)}
}

// unzip unpacks the ZIP file at key into root: files with their
// permission bits, directories, and symbolic links. root keeps every
// entry, and every link, inside the workspace.
func (s S3) unzip(ctx context.Context, root *os.Root, bucket, key string) error {
	var obj blob.Reader
	var err error
	if vo, ok := s.Objects.(VersionedObjects); ok && s.Version != "" {
		obj, err = vo.OpenVersion(ctx, bucket, key, s.Version)
	} else {
		obj, err = s.Objects.Open(ctx, bucket, key)
	}
	if err != nil {
		return err
	}
	defer obj.Close()
	zr, err := zip.NewReader(obj, obj.Object().Size)
	if err != nil {
		return badSource("s3://%s/%s is not a ZIP file: %v", bucket, key, err)
	}
	for _, f := range zr.File {
		if err := ctx.Err(); err != nil {
			return err
		}
		name := strings.TrimSuffix(f.Name, "/")
		if name == "" || !fs.ValidPath(name) || strings.Contains(name, `\`) {
			return badSource("ZIP entry %q: invalid path", f.Name)
		}
		if d := path.Dir(name); d != "." {
			if err := root.MkdirAll(d, 0o755); err != nil {
				return badSource("ZIP entry %q: %v", f.Name, err)
			}
		}
		mode := f.Mode()
		switch {
		case mode.IsDir():
			if err := root.MkdirAll(name, mode.Perm()|0o700); err != nil {
				return badSource("ZIP entry %q: %v", f.Name, err)
			}
		case mode&fs.ModeSymlink != 0:
			target, err := readEntry(f, 4096)
			if err != nil {
				return badSource("ZIP entry %q: %v", f.Name, err)
			}
			if err := root.Symlink(string(target), name); err != nil {
				return badSource("ZIP entry %q: %v", f.Name, err)
			}
		case mode.IsRegular():
			if err := writeEntry(root, name, f); err != nil {
				return err
			}
		}
	}
	return nil
}

func readEntry(f *zip.File, max int64) ([]byte, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(io.LimitReader(rc, max))
}

func writeEntry(root *os.Root, name string, f *zip.File) error {
	rc, err := f.Open()
	if err != nil {
		return badSource("ZIP entry %q: %v", f.Name, err)
	}
	defer rc.Close()
	out, err := root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, f.Mode().Perm()|0o600)
	if err != nil {
		return badSource("ZIP entry %q: %v", f.Name, err)
	}
	if _, err := io.Copy(out, rc); err != nil {
		out.Close()
		return badSource("ZIP entry %q: %v", f.Name, err)
	}
	return out.Close()
}

// copyFolder copies the objects below prefix into root, each at its key
// less the prefix. Keys ending in "/" (the folder objects the console
// makes) only make directories.
func (s S3) copyFolder(ctx context.Context, root *os.Root, bucket, prefix string) error {
	q := blob.ListQuery{Prefix: prefix}
	for {
		page, err := s.Objects.List(ctx, bucket, q)
		if err != nil {
			return err
		}
		for _, o := range page.Objects {
			rel := strings.TrimPrefix(o.Key, prefix)
			dirOnly := strings.HasSuffix(rel, "/")
			rel = strings.TrimSuffix(rel, "/")
			if rel == "" {
				continue
			}
			if !fs.ValidPath(rel) || strings.Contains(rel, `\`) {
				return badSource("object s3://%s/%s: its key is no path below the folder", bucket, o.Key)
			}
			if dirOnly {
				if err := root.MkdirAll(rel, 0o755); err != nil {
					return badSource("object s3://%s/%s: %v", bucket, o.Key, err)
				}
				continue
			}
			if err := s.copyObject(ctx, root, bucket, o.Key, rel); err != nil {
				return err
			}
		}
		if !page.Truncated {
			return nil
		}
		q.After = page.Next
	}
}

func (s S3) copyObject(ctx context.Context, root *os.Root, bucket, key, rel string) error {
	obj, err := s.Objects.Open(ctx, bucket, key)
	if errors.Is(err, blob.ErrNoSuchKey) {
		return nil // deleted since the listing
	}
	if err != nil {
		return err
	}
	defer obj.Close()
	if d := path.Dir(rel); d != "." {
		if err := root.MkdirAll(d, 0o755); err != nil {
			return badSource("object s3://%s/%s: %v", bucket, key, err)
		}
	}
	out, err := root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return badSource("object s3://%s/%s: %v", bucket, key, err)
	}
	if _, err := obj.WriteRange(out, 0, obj.Object().Size); err != nil {
		out.Close()
		return fmt.Errorf("copy s3://%s/%s: %w", bucket, key, err)
	}
	return out.Close()
}
