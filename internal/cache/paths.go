package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Targets says where the files named by cache paths live on this host.
type Targets struct {
	// SourceDir is the build's source directory (CODEBUILD_SRC_DIR).
	// Relative cache paths are resolved against it. It must be absolute when
	// a relative cache path is used.
	SourceDir string

	// Root is the host directory that absolute cache paths are resolved
	// against: "/root/.m2/**/*" names filepath.Join(Root, "root/.m2") and what
	// is below it. Empty means "/", which is right when builds run as host
	// processes; an executor that runs builds elsewhere passes the directory
	// where that file system is visible on the host.
	Root string
}

// Archive entry names start with one of these, so that an entry records
// whether its path was relative to the source directory or absolute.
const (
	kindSource = "src"
	kindAbs    = "abs"
)

// pattern is one parsed cache path.
type pattern struct {
	raw  string // as written in the buildspec
	kind string // kindSource or kindAbs
	full string // cleaned slash path below the kind's top, without a leading slash
	base string // static directory prefix of full, "" for the top itself
	glob string // full below base; "" when full has no meta characters
}

// literal reports whether p names one file or directory, which is then
// cached with everything below it.
func (p pattern) literal() bool { return p.glob == "" }

// covers reports whether the entry at name (same form as p.full) is one
// this cache path saves.
func (p pattern) covers(name string) bool {
	if p.literal() {
		return name == p.full || strings.HasPrefix(name, p.full+"/")
	}
	return doublestar.MatchUnvalidated(p.full, name)
}

// parsePatterns parses cache paths. A path that starts with "/" is absolute;
// any other is relative to the source directory. "." and empty components
// are dropped; ".." is refused, because a relative path that climbs out of
// the source directory has no place in the archive.
// begin starts a Restore or Save (op): with no paths it is Skipped, with
// the line CodeBuild prints; otherwise it parses the paths and logs each.
func begin(op string, paths []string) (Result, []pattern, error) {
	var res Result
	if len(paths) == 0 {
		res.Outcome = Skipped
		res.logf("%s", LineNoPaths)
		return res, nil, nil
	}
	pats, err := parsePatterns(paths)
	if err != nil {
		return res, nil, fmt.Errorf("%s cache: %w", op, err)
	}
	for _, p := range pats {
		res.logf(lineExpanded, p.raw)
	}
	return res, pats, nil
}

func parsePatterns(paths []string) ([]pattern, error) {
	pats := make([]pattern, 0, len(paths))
	for _, raw := range paths {
		p := pattern{raw: raw, kind: kindSource}
		s := raw
		if strings.HasPrefix(s, "/") {
			p.kind = kindAbs
			s = strings.TrimLeft(s, "/")
		}
		if strings.ContainsRune(s, 0) {
			return nil, fmt.Errorf("cache path %q: contains a NUL byte", raw)
		}
		var parts []string
		for part := range strings.SplitSeq(s, "/") {
			switch part {
			case "", ".":
				continue
			case "..":
				return nil, fmt.Errorf("cache path %q: must not contain ..", raw)
			}
			parts = append(parts, part)
		}
		p.full = strings.Join(parts, "/")
		if !doublestar.ValidatePattern(p.full) {
			return nil, fmt.Errorf("cache path %q: %w", raw, doublestar.ErrBadPattern)
		}
		if hasMeta(p.full) {
			base, glob := doublestar.SplitPattern(p.full)
			if base == "." {
				base = ""
			}
			p.base, p.glob = base, glob
		} else {
			p.full = unescape(p.full)
			p.base = path.Dir(p.full)
			if p.base == "." {
				p.base = ""
			}
		}
		if p.full == "" {
			// "/" or "." alone: the whole source directory or file system.
			// Cache "**/*" instead, which says the same thing explicitly.
			return nil, fmt.Errorf("cache path %q: names the top directory itself; use %q", raw, strings.TrimSuffix(raw, "/")+"/**/*")
		}
		pats = append(pats, p)
	}
	return pats, nil
}

// hasMeta reports whether s has an unescaped glob meta character.
func hasMeta(s string) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '*', '?', '[', '{':
			return true
		}
	}
	return false
}

// unescape removes the backslashes of a pattern without meta characters.
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// version is CodeBuild's "cache version": a hash of the cache paths, so
// that the same key with different paths names a different cache
// (caching-s3, "Cache version"). Order and duplicates do not matter.
func version(pats []pattern) string {
	names := make([]string, 0, len(pats))
	for _, p := range pats {
		names = append(names, p.kind+":"+p.full)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	sum := sha256.Sum256([]byte(strings.Join(names, "\n")))
	return hex.EncodeToString(sum[:8])
}

// root is a directory that restored entries are confined to: the static
// prefix of one or more cache paths.
type root struct {
	kind string
	base string // as pattern.base
}

// within reports whether name (pattern.full form) is base or below it.
func within(base, name string) bool {
	return base == "" || name == base || strings.HasPrefix(name, base+"/")
}

// roots returns the outermost bases of pats, so that each entry belongs to
// exactly one root.
func roots(pats []pattern) []root {
	var rs []root
	for _, p := range pats {
		rs = append(rs, root{p.kind, p.base})
	}
	slices.SortFunc(rs, func(a, b root) int {
		if c := strings.Compare(a.kind, b.kind); c != 0 {
			return c
		}
		return strings.Compare(a.base, b.base)
	})
	var out []root
	for _, r := range rs {
		if n := len(out); n > 0 && out[n-1].kind == r.kind && within(out[n-1].base, r.base) {
			continue
		}
		out = append(out, r)
	}
	return out
}

// hostDir returns the host directory of a root.
func (t Targets) hostDir(kind, base string) (string, error) {
	switch kind {
	case kindSource:
		if !filepath.IsAbs(t.SourceDir) {
			return "", errors.New("relative cache paths need an absolute source directory")
		}
		return filepath.Join(t.SourceDir, filepath.FromSlash(base)), nil
	default:
		top := t.Root
		if top == "" {
			top = "/"
		}
		if !filepath.IsAbs(top) {
			return "", fmt.Errorf("root %q is not absolute", t.Root)
		}
		return filepath.Join(top, filepath.FromSlash(base)), nil
	}
}

// display returns how a log line names an entry: the path the build sees.
func (t Targets) display(kind, name string) string {
	if kind == kindAbs {
		return "/" + name
	}
	if t.SourceDir == "" {
		return name
	}
	return filepath.Join(t.SourceDir, filepath.FromSlash(name))
}

// AbsoluteRoots returns what the absolute cache paths among paths name at
// most, as paths of the build's file system: a literal path itself
// ("/root/.m2"), the static prefix of a pattern ("/root/.m2" for
// "/root/.m2/**/*", "/" for "/*.txt"). Roots below another are left out.
// An executor whose builds have a file system of their own copies these
// in after a Restore into Targets.Root and out before a Save.
func AbsoluteRoots(paths []string) ([]string, error) {
	pats, err := parsePatterns(paths)
	if err != nil {
		return nil, err
	}
	var tops []string
	for _, p := range pats {
		if p.kind != kindAbs {
			continue
		}
		if p.literal() {
			tops = append(tops, p.full)
		} else {
			tops = append(tops, p.base)
		}
	}
	slices.Sort(tops)
	var out []string
	for _, t := range tops {
		if n := len(out); n > 0 && within(strings.TrimPrefix(out[n-1], "/"), t) {
			continue
		}
		out = append(out, "/"+t)
	}
	return out, nil
}
