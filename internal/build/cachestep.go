package build

import (
	"context"
	"errors"
	"os"
	"path/filepath"

	"github.com/codeyard/codeyard/internal/buildspec"
	"github.com/codeyard/codeyard/internal/cache"
)

// Cache is where a build's cache lives: a cache.Store, locally.
type Cache interface {
	Restore(ctx context.Context, key string, fallbackKeys []string, project string, paths []string, dst cache.Targets) (cache.Result, error)
	Save(ctx context.Context, key, project string, paths []string, src cache.Targets) (cache.Result, error)
}

var _ Cache = (*cache.Store)(nil)

// cacheState is the cache section as the build resolved it at the start:
// key and fallback keys expanded by the shell, paths by the environment.
type cacheState struct {
	key      string
	fallback []string
	paths    []string
}

// restoreCache runs at the end of DOWNLOAD_SOURCE, before INSTALL, as
// CodeBuild does: it resolves the cache section and restores the cache
// unless its action is save.
func (r *run) restoreCache() {
	c := r.spec.Cache
	if r.req.Cache == nil {
		return
	}
	if c == nil {
		r.log.printf("%s", cache.LineNotDefined)
		r.log.printf("%s", cache.LineNoPaths)
		return
	}
	st := &cacheState{}
	for _, p := range c.Paths {
		st.paths = append(st.paths, os.Expand(p, r.lookupEnv))
	}
	if c.Key != "" {
		words := append([]string{c.Key}, c.FallbackKeys...)
		vals := words
		if x, ok := r.e.exec.(Expander); ok {
			got, err := x.Expand(r.ctx, r.plan, r.plan.RunAs, words, r.log)
			if err != nil {
				r.log.printf("Cannot expand the cache key, so the cache is not used: %v", err)
				return
			}
			vals = got
			r.warnSecrets("cache key", vals)
		}
		st.key, st.fallback = vals[0], vals[1:]
		r.log.printf("Cache key: %s", st.key)
	}
	r.cache = st
	if c.Action == buildspec.CacheSave {
		r.log.printf("Cache action is save: not restoring")
		return
	}
	res, err := r.req.Cache.Restore(r.ctx, st.key, st.fallback, r.cacheScope(), st.paths, r.cacheTargets())
	for _, l := range res.Lines {
		r.log.printf("%s", l)
	}
	if err == nil && res.Outcome == cache.Hit {
		err = r.copyCache(true)
	}
	if err != nil {
		// A cache is an optimisation: a broken one is reported, not fatal.
		r.log.printf("Cache restore failed: %v", err)
	}
}

// saveCache stores the cache paths at the end of the build unless the
// cache's action is restore.
func (r *run) saveCache() {
	if r.cache == nil || r.req.Cache == nil || r.spec.Cache.Action == buildspec.CacheRestore {
		return
	}
	ctx := context.WithoutCancel(r.ctx)
	if err := r.copyCache(false); err != nil {
		r.log.printf("Cache save failed: %v", err)
		return
	}
	res, err := r.req.Cache.Save(ctx, r.cache.key, r.cacheScope(), r.cache.paths, r.cacheTargets())
	for _, l := range res.Lines {
		r.log.printf("%s", l)
	}
	if err != nil {
		r.log.printf("Cache save failed: %v", err)
	}
}

func (r *run) cacheScope() string {
	if r.req.CacheNamespace != "" {
		return r.req.CacheNamespace
	}
	return r.req.Project
}

// cacheTargets resolves cache paths: relative ones against the source,
// absolute ones against the root of the build's file system.
func (r *run) cacheTargets() cache.Targets {
	return cache.Targets{SourceDir: r.req.Workspace, Root: r.req.CacheRoot}
}

// copyCache copies the absolute cache paths into the build's file system
// (in) or out of it into CacheRoot, for an executor whose builds have a
// file system of their own; see FileCopier.
func (r *run) copyCache(in bool) error {
	fc, ok := r.e.exec.(FileCopier)
	if !ok {
		return nil
	}
	roots, err := cache.AbsoluteRoots(r.cache.paths)
	if err != nil || len(roots) == 0 {
		return err // Restore and Save report a bad path themselves
	}
	host := r.req.CacheRoot
	if host == "" || filepath.Clean(host) == "/" {
		return errors.New("absolute cache paths of a build in its own file system need a CacheRoot of its own")
	}
	if in {
		return fc.CopyIn(r.ctx, r.plan, host, roots)
	}
	for _, root := range roots {
		if err := os.RemoveAll(filepath.Join(host, root)); err != nil {
			return err
		}
	}
	return fc.CopyOut(context.WithoutCancel(r.ctx), r.plan, roots, host)
}
