package codebuild

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/codeyard/codeyard/internal/blob"
	"github.com/codeyard/codeyard/internal/build"
	"github.com/codeyard/codeyard/internal/cache"
	"github.com/codeyard/codeyard/internal/source"
)

// Objects is the S3 store builds use: artifacts of type S3 are put there,
// sources of type S3 and caches of type S3 come from it. *blob.Disk
// satisfies it.
type Objects interface {
	source.Objects
	Put(ctx context.Context, bucket, key string, r io.Reader, o blob.PutOptions) (blob.Object, error)
}

// splitLocation cuts an S3 location, "bucket" or "bucket/prefix", into
// the bucket and the prefix without its slashes.
func splitLocation(loc string) (bucket, prefix string) {
	bucket, prefix, _ = strings.Cut(strings.TrimPrefix(loc, "s3://"), "/")
	return bucket, strings.Trim(prefix, "/")
}

// bucket is one bucket of the store as build.Bucket.
type bucket struct {
	objects Objects
	name    string
}

var _ build.Bucket = bucket{}

func (b bucket) Put(ctx context.Context, key string, r io.Reader, o build.Object) error {
	_, err := b.objects.Put(ctx, b.name, key, r, blob.PutOptions{ContentType: o.ContentType, Meta: o.Meta})
	if errors.Is(err, blob.ErrNoSuchBucket) {
		return fmt.Errorf("bucket %s: %w", b.name, build.ErrNoSuchBucket)
	}
	return err
}

// s3Cache is a cache of type S3: its entries are objects below the
// project's cache location, one per entry, named as cache.Store names its
// entry files. A build's first Restore or Save downloads them into a local
// cache.Store in a directory of its own, which then restores and saves as
// a LOCAL cache does; a Save uploads the entry it made. close removes the
// directory.
//
// Downloading every entry of the location is the simple way to give S3
// caches the local store's semantics (exact keys, fallback prefixes, the
// newest first): cheap for the usual location of one project's cache,
// not for one shared by many keys.
type s3Cache struct {
	objects        Objects
	bucket, prefix string
	dir            string

	local  *cache.Store    // nil until synced
	stored map[string]bool // entry names in the bucket
}

var _ build.Cache = (*s3Cache)(nil)

func newS3Cache(objects Objects, location, workDir string) (*s3Cache, error) {
	dir, err := os.MkdirTemp(workDir, "codeyard-s3cache-")
	if err != nil {
		return nil, err
	}
	b, p := splitLocation(location)
	return &s3Cache{objects: objects, bucket: b, prefix: p, dir: dir}, nil
}

func (c *s3Cache) close() { os.RemoveAll(c.dir) }

func (c *s3Cache) key(name string) string { return path.Join(c.prefix, name) }

// sync downloads the location's entries into the local store, once.
func (c *s3Cache) sync(ctx context.Context) error {
	if c.local != nil {
		return nil
	}
	local, err := cache.Open(c.dir)
	if err != nil {
		return err
	}
	entries := filepath.Join(c.dir, "entries") // the store's documented layout
	stored := map[string]bool{}
	q := blob.ListQuery{Prefix: c.key("") + "/", Delimiter: "/"}
	if c.prefix == "" {
		q.Prefix = ""
	}
	for {
		page, err := c.objects.List(ctx, c.bucket, q)
		if err != nil {
			return fmt.Errorf("s3://%s/%s: %w", c.bucket, q.Prefix, err)
		}
		for _, o := range page.Objects {
			name := strings.TrimPrefix(o.Key, q.Prefix)
			if !strings.HasSuffix(name, ".cache") || strings.ContainsAny(name, `/\`) {
				continue
			}
			if err := c.download(ctx, o.Key, filepath.Join(entries, name)); err != nil {
				return err
			}
			stored[name] = true
		}
		if !page.Truncated {
			break
		}
		q.After = page.Next
	}
	c.local, c.stored = local, stored
	return nil
}

func (c *s3Cache) download(ctx context.Context, key, dst string) error {
	r, err := c.objects.Open(ctx, c.bucket, key)
	if errors.Is(err, blob.ErrNoSuchKey) {
		return nil // removed since the listing
	}
	if err != nil {
		return err
	}
	defer r.Close()
	f, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := r.WriteRange(f, 0, r.Object().Size); err != nil {
		f.Close()
		return fmt.Errorf("download s3://%s/%s: %w", c.bucket, key, err)
	}
	return f.Close()
}

func (c *s3Cache) Restore(ctx context.Context, key string, fallbackKeys []string, project string, paths []string, dst cache.Targets) (cache.Result, error) {
	if err := c.sync(ctx); err != nil {
		return cache.Result{}, err
	}
	return c.local.Restore(ctx, key, fallbackKeys, project, paths, dst)
}

// Save saves into the local store, then uploads the entry it made: a new
// keyed entry, or the project's unkeyed one, which each save replaces.
func (c *s3Cache) Save(ctx context.Context, key, project string, paths []string, src cache.Targets) (cache.Result, error) {
	if err := c.sync(ctx); err != nil {
		return cache.Result{}, err
	}
	res, err := c.local.Save(ctx, key, project, paths, src)
	if err != nil || res.Outcome != cache.Saved {
		return res, err
	}
	es, err := c.local.List()
	if err != nil {
		return res, err
	}
	for _, e := range es {
		name := filepath.Base(e.Path)
		if e.Damaged || c.stored[name] && !(key == "" && e.Key == "" && e.Project == project) {
			continue
		}
		if err := c.upload(ctx, name, e.Path); err != nil {
			return res, err
		}
		c.stored[name] = true
	}
	return res, nil
}

func (c *s3Cache) upload(ctx context.Context, name, file string) error {
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := c.objects.Put(ctx, c.bucket, c.key(name), f, blob.PutOptions{ContentType: "application/octet-stream"}); err != nil {
		return fmt.Errorf("upload s3://%s/%s: %w", c.bucket, c.key(name), err)
	}
	return nil
}
