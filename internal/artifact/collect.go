package artifact

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/bmatcuk/doublestar/v4"
)

// ErrNoMatch is returned by Collect when no pattern matches anything. Its
// text is the message CodeBuild puts in the UPLOAD_ARTIFACTS phase context
// after "CLIENT_ERROR Message:".
var ErrNoMatch = errors.New("no matching artifact paths found")

// Selection is one artifacts definition of a buildspec: the primary
// artifacts section or one of its secondary-artifacts.
type Selection struct {
	// Identifier is the secondary artifact's identifier, empty for the
	// primary artifact.
	Identifier string
	// Files are the glob patterns of the files to package, relative to each
	// base directory.
	Files []string
	// BaseDirectory is a path or glob relative to the source directory;
	// empty means the source directory itself.
	BaseDirectory string
	// DiscardPaths flattens the artifact to file names.
	DiscardPaths bool
	// ExcludePaths are glob patterns, relative to the base directory, of
	// files and directories to leave out.
	ExcludePaths []string
	// EnableSymlinks packages symbolic links as links instead of following
	// them.
	EnableSymlinks bool
	// SourceDirs are the build's other source directories (its secondary
	// sources). A base directory given as an absolute path, the way
	// CodeBuild's samples write $CODEBUILD_SRC_DIR_<id>, may be the source
	// directory, one of these, or a directory below them; the artifact's
	// files are then read from there.
	SourceDirs []string
	// Expand, when set, is applied to each files pattern and to the base
	// directory before they are used, the way CodeBuild expands environment
	// variables in them; a changed value is logged as "Expanded to".
	Expand func(string) string
	// HostPath, when set, maps an absolute base directory as the build
	// saw it (a container's mount point, say) to the host, before it is
	// matched against the source directories.
	HostPath func(string) string
}

// Entry is one file, directory or symbolic link of an artifact.
type Entry struct {
	// Path is the entry's slash-separated path inside the artifact.
	Path string
	// Source is the host path the entry's content is read from. It contains
	// no symbolic links when Collect returns it. For a symbolic link entry
	// it is the link itself.
	Source string
	// Mode holds the type bits (fs.ModeDir, fs.ModeSymlink, none for a
	// regular file) and the permission bits.
	Mode fs.FileMode
	// Size is the file's size when it was collected; 0 for directories and
	// links.
	Size int64
	// ModTime is the file's modification time when it was collected.
	ModTime time.Time
	// Link is the target of a symbolic link entry, as the link stores it.
	Link string
}

// Collected is the result of Collect.
type Collected struct {
	// Entries are sorted by Path; no two have the same Path.
	Entries []Entry
	// Log holds the lines CodeBuild prints while collecting, without the
	// "[Container] <time>" prefix, in order.
	Log []string
}

// Collect selects the entries of an artifact from the build's source
// directory srcDir. It returns ErrNoMatch, together with the log lines
// collected so far, when nothing matches; any other error is a failure to
// read srcDir.
//
// Collect only reads the file system. The entries describe the files as
// they were when Collect ran; WriteZip and CopyTree refuse to package a
// file that has since been replaced by a symbolic link.
func Collect(srcDir string, sel Selection) (*Collected, error) {
	root, err := filepath.Abs(srcDir)
	if err == nil {
		root, err = filepath.EvalSymlinks(root)
	}
	if err != nil {
		return nil, fmt.Errorf("artifact source directory: %w", err)
	}
	c := &collector{sel: sel, root: root, srcDir: srcDir, out: &Collected{}, index: map[string]int{}}
	if err := c.collect(); err != nil {
		return nil, err
	}
	if len(c.out.Entries) == 0 {
		return c.out, ErrNoMatch
	}
	c.logf("Found %d file(s)", len(c.out.Entries))
	return c.out, nil
}

type collector struct {
	sel    Selection
	root   string // real path of the source directory
	srcDir string // the source directory as given
	out    *Collected
	index  map[string]int // artifact path → index in out.Entries
	// skipped records the host paths already reported as escaping, so
	// that a link matched by several patterns is reported once.
	skipped map[string]bool
	walked  int // directories read, bounded by maxWalk
}

// maxWalk bounds the directories one Collect reads. Links to directories
// can make a small tree look exponentially large when followed.
const maxWalk = 1 << 20

func (c *collector) logf(format string, args ...any) {
	c.out.Log = append(c.out.Log, fmt.Sprintf(format, args...))
}

// expand applies Selection.Expand to s and logs the result when it
// differs.
func (c *collector) expand(s string) string {
	if c.sel.Expand == nil {
		return s
	}
	x := c.sel.Expand(s)
	if x != s {
		c.logf("Expanded to %s", x)
	}
	return x
}

// A dir is a directory the walk may read.
type dir struct {
	rel  string // path as matched: relative to the base directory, or to the source directory for base directories
	real string // the directory with every link resolved, inside the source directory
}

// rebase turns an absolute base directory inside one of the build's
// source directories into a path relative to that directory, which
// becomes the root the artifact is read from.
func (c *collector) rebase(base *string) {
	for _, sd := range append([]string{c.srcDir}, c.sel.SourceDirs...) {
		sd, err := filepath.Abs(sd)
		if err != nil {
			continue
		}
		rel, err := filepath.Rel(sd, filepath.Clean(*base))
		if err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
			continue
		}
		real, err := filepath.EvalSymlinks(sd)
		if err != nil {
			continue
		}
		c.root, *base = real, filepath.ToSlash(rel)
		return
	}
}

func (c *collector) collect() error {
	if c.sel.Identifier != "" {
		c.logf("Preparing to copy secondary artifacts %s", c.sel.Identifier)
	}
	baseRaw := c.sel.BaseDirectory
	if baseRaw == "" {
		baseRaw = "."
	}
	c.logf("Expanding base directory path: %s", baseRaw)
	c.logf("Assembling file list")
	c.logf("Expanding %s", baseRaw)
	basePattern := c.expand(baseRaw)
	if filepath.IsAbs(basePattern) {
		if c.sel.HostPath != nil {
			basePattern = c.sel.HostPath(basePattern)
		}
		c.rebase(&basePattern)
	}
	bases, err := c.match(dir{rel: ".", real: c.root}, basePattern, true, nil)
	if err != nil {
		return err
	}
	if len(bases) == 0 {
		c.logf("Skipping invalid file path %s", basePattern)
		return nil
	}
	var excludes []string
	for _, p := range c.sel.ExcludePaths {
		if p = cleanPattern(p); p != "" && doublestar.ValidatePattern(p) {
			excludes = append(excludes, p)
		}
	}
	for _, b := range bases {
		if b.Mode&fs.ModeDir == 0 {
			continue
		}
		base := dir{rel: b.Path, real: b.Source}
		c.logf("Expanding file paths for base directory %s", base.rel)
		c.logf("Assembling file list")
		for _, raw := range c.sel.Files {
			c.logf("Expanding %s", raw)
			pattern := c.expand(raw)
			found, err := c.match(base, pattern, false, excludes)
			if err != nil {
				return err
			}
			for _, e := range found {
				if excluded(excludes, e.Path) {
					continue
				}
				if c.sel.DiscardPaths {
					if e.Mode&fs.ModeDir != 0 {
						continue
					}
					e.Path = path.Base(e.Path)
				}
				c.add(e)
			}
			if len(found) == 0 {
				c.logf("Skipping invalid file path %s", pattern)
			}
		}
	}
	c.dropShadowed()
	slices.SortFunc(c.out.Entries, func(a, b Entry) int { return strings.Compare(a.Path, b.Path) })
	return nil
}

func excluded(excludes []string, p string) bool {
	for _, x := range excludes {
		if doublestar.MatchUnvalidated(x, p) {
			return true
		}
	}
	return false
}

// add records e, replacing an earlier entry at the same path.
func (c *collector) add(e Entry) {
	i, ok := c.index[e.Path]
	if !ok {
		c.index[e.Path] = len(c.out.Entries)
		c.out.Entries = append(c.out.Entries, e)
		return
	}
	old := c.out.Entries[i]
	if old.Source == e.Source && old.Mode == e.Mode {
		return // the same file, matched again
	}
	c.logf("Replacing %s from %s with %s", e.Path, c.display(old.Source), c.display(e.Source))
	c.out.Entries[i] = e
}

// dropShadowed removes entries below a path that is packaged as a file or
// link: an archive cannot hold both, and writing them out would write
// through the link. This only happens when discard-paths or several base
// directories put unrelated files at related paths.
func (c *collector) dropShadowed() {
	leaves := map[string]bool{}
	for _, e := range c.out.Entries {
		if e.Mode&fs.ModeDir == 0 {
			leaves[e.Path] = true
		}
	}
	kept := c.out.Entries[:0]
	for _, e := range c.out.Entries {
		shadow := ""
		for p := path.Dir(e.Path); p != "."; p = path.Dir(p) {
			if leaves[p] {
				shadow = p
			}
		}
		if shadow != "" {
			c.logf("Skipping %s: %s is not a directory in the artifact", e.Path, shadow)
			continue
		}
		kept = append(kept, e)
	}
	c.out.Entries = kept
}

// display returns a host path relative to the source directory, for log
// lines.
func (c *collector) display(host string) string {
	if rel, err := filepath.Rel(c.root, host); err == nil && filepath.IsLocal(rel) {
		return filepath.ToSlash(rel)
	}
	return host
}

// cleanPattern trims what CodeBuild users write around a pattern: spaces,
// leading "./" and trailing slashes.
func cleanPattern(p string) string {
	p = strings.TrimSpace(p)
	for strings.HasPrefix(p, "./") {
		p = strings.TrimLeft(p[2:], "/")
	}
	return strings.TrimRight(p, "/")
}

// escapes reports whether pattern names anything outside the directory it
// is relative to: an absolute path or a ".." component.
func escapes(pattern string) bool {
	if strings.HasPrefix(pattern, "/") || filepath.IsAbs(pattern) || filepath.VolumeName(pattern) != "" {
		return true
	}
	for _, part := range strings.Split(pattern, "/") {
		if part == ".." {
			return true
		}
	}
	return false
}

// match returns the entries below base that pattern matches, with paths
// relative to base. With dirsOnly it matches directories only, for the base
// directory pattern, and returns their paths relative to the source
// directory.
func (c *collector) match(base dir, raw string, dirsOnly bool, excludes []string) ([]Entry, error) {
	if strings.HasPrefix(strings.TrimSpace(raw), "/") {
		return nil, nil // absolute
	}
	pattern := cleanPattern(raw)
	if pattern == "" || strings.ContainsRune(pattern, 0) || escapes(pattern) || !doublestar.ValidatePattern(pattern) {
		return nil, nil
	}
	if pattern == "." {
		if !dirsOnly {
			return nil, nil
		}
		return []Entry{{Path: base.rel, Source: base.real, Mode: fs.ModeDir}}, nil
	}
	m := &matcher{c: c, base: base, pattern: pattern, dirsOnly: dirsOnly, excludes: excludes}
	prefix, rest := doublestar.SplitPattern(pattern)
	if prefix == "." {
		prefix = ""
	}
	if !hasMeta(rest) {
		// A literal path: look it up instead of walking.
		lit := path.Clean(unescape(pattern))
		if lit == "." || escapes(lit) {
			return nil, nil
		}
		parent, ok, err := m.resolveDir(path.Dir(lit))
		if err != nil || !ok {
			return nil, err
		}
		if err := m.visit(parent, lit, path.Base(lit)); err != nil {
			return nil, err
		}
		return m.found, nil
	}
	start, ok, err := m.resolveDir(prefix)
	if err != nil || !ok {
		return nil, err
	}
	m.maxDepth = -1
	if !strings.Contains(rest, "**") && !strings.ContainsAny(rest, "{") {
		m.maxDepth = strings.Count(rest, "/") + 1
	}
	startRel := prefix
	if startRel == "" {
		startRel = "."
	}
	if err := m.walk(start, startRel, 1, map[string]bool{start.real: true}); err != nil {
		return nil, err
	}
	return m.found, nil
}

// hasMeta reports whether a pattern has unescaped glob meta characters.
func hasMeta(p string) bool {
	for i := 0; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '*', '?', '[', '{':
			return true
		}
	}
	return false
}

// unescape removes the backslashes of a literal pattern.
func unescape(p string) string {
	if !strings.Contains(p, `\`) {
		return p
	}
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		if p[i] == '\\' && i+1 < len(p) {
			i++
		}
		b.WriteByte(p[i])
	}
	return b.String()
}

// A matcher collects what one pattern matches below one base directory.
type matcher struct {
	c        *collector
	base     dir
	pattern  string
	dirsOnly bool
	excludes []string // exclude-paths, valid patterns
	maxDepth int      // components below the walk's start that can match; -1 for any
	found    []Entry
}

// resolveDir resolves rel, a directory path relative to the base
// directory, to a directory inside the source directory. It reports false
// when rel does not exist, is not a directory or resolves outside the
// source directory.
func (m *matcher) resolveDir(rel string) (dir, bool, error) {
	if rel == "" || rel == "." {
		return m.base, true, nil
	}
	real, err := filepath.EvalSymlinks(filepath.Join(m.base.real, filepath.FromSlash(rel)))
	if err != nil {
		return dir{}, false, ignoreMissing(err)
	}
	if !m.c.inside(real) {
		return dir{}, false, nil
	}
	fi, err := os.Stat(real)
	if err != nil || !fi.IsDir() {
		return dir{}, false, ignoreMissing(err)
	}
	return dir{rel: rel, real: real}, true, nil
}

// ignoreMissing turns the errors of a path that cannot name anything into
// nil: a path that does not exist, is not a directory where one is needed,
// is too long, loops through links or holds a NUL byte simply matches
// nothing. Other errors, such as I/O errors, are returned.
func ignoreMissing(err error) error {
	if err == nil || errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) ||
		errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.ENAMETOOLONG) ||
		errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EINVAL) {
		return nil
	}
	return err
}

func (c *collector) inside(real string) bool { return within(real, c.root) }

// within reports whether the real path p is dir or below it.
func within(p, dir string) bool {
	return p == dir || strings.HasPrefix(p, dir+string(filepath.Separator))
}

// walk visits the entries of d, whose path relative to the base directory
// is rel, and descends into directories. ancestors holds the real paths of
// the directories being walked; a link to one of them, or to a directory
// that contains d, is not walked again.
func (m *matcher) walk(d dir, rel string, depth int, ancestors map[string]bool) error {
	if m.c.walked++; m.c.walked > maxWalk {
		return fmt.Errorf("more than %d directories to read below %s: symbolic links may repeat the tree", maxWalk, m.c.root)
	}
	des, err := os.ReadDir(d.real)
	if err != nil {
		if ignoreMissing(err) == nil {
			return nil
		}
		return fmt.Errorf("read %s: %w", d.real, err)
	}
	for _, de := range des {
		name := de.Name()
		childRel := name
		if rel != "." {
			childRel = rel + "/" + name
		}
		sub, err := m.visitEntry(d, childRel, name, de.Type())
		if err != nil {
			return err
		}
		if sub == nil || (m.maxDepth >= 0 && depth >= m.maxDepth) || ancestors[sub.real] || within(d.real, sub.real) {
			continue
		}
		ancestors[sub.real] = true
		err = m.walk(*sub, childRel, depth+1, ancestors)
		delete(ancestors, sub.real)
		if err != nil {
			return err
		}
	}
	return nil
}

// visit looks up name in d and records it when it matches; rel is its path
// relative to the base directory.
func (m *matcher) visit(d dir, rel, name string) error {
	fi, err := os.Lstat(filepath.Join(d.real, name))
	if err != nil {
		return ignoreMissing(err)
	}
	_, err = m.visitEntry(d, rel, name, fi.Mode().Type())
	return err
}

// visitEntry records the entry name of d when the pattern matches it, and
// returns the directory to descend into when the entry is one (or is a
// followed link to one).
func (m *matcher) visitEntry(d dir, rel, name string, typ fs.FileMode) (*dir, error) {
	host := filepath.Join(d.real, name)
	matches := doublestar.MatchUnvalidated(m.pattern, rel)
	switch {
	case typ&fs.ModeSymlink != 0:
		return m.visitLink(host, rel, matches)
	case typ.IsDir():
		sub := &dir{rel: rel, real: host}
		if matches {
			fi, err := os.Lstat(host)
			if err != nil {
				return nil, ignoreMissing(err)
			}
			m.record(rel, host, fi, "")
		}
		return sub, nil
	case typ.IsRegular():
		if matches && !m.dirsOnly {
			fi, err := os.Lstat(host)
			if err != nil {
				return nil, ignoreMissing(err)
			}
			m.record(rel, host, fi, "")
		}
	}
	// Devices, sockets and named pipes are never packaged: reading a pipe
	// would block the build.
	return nil, nil
}

// visitLink handles a symbolic link at host. A link whose target is
// missing or outside the source directory is skipped, with a log line when
// the pattern matches it. Otherwise, with enable-symlinks the link itself
// is recorded and never followed; without, it stands for its target.
func (m *matcher) visitLink(host, rel string, matches bool) (*dir, error) {
	real, err := filepath.EvalSymlinks(host)
	if err != nil || !m.c.inside(real) {
		// A missing target, a loop of links or a target outside the
		// source directory: never packaged.
		if matches && !m.c.skipped[host] && !excluded(m.excludes, rel) {
			if m.c.skipped == nil {
				m.c.skipped = map[string]bool{}
			}
			m.c.skipped[host] = true
			target, _ := os.Readlink(host)
			why := "its target is outside the source directory"
			if err != nil {
				why = "its target does not exist"
			}
			m.c.logf("Skipping symbolic link %s -> %s: %s", m.c.display(host), target, why)
		}
		return nil, nil
	}
	fi, err := os.Stat(real)
	if err != nil {
		return nil, ignoreMissing(err)
	}
	if m.c.sel.EnableSymlinks && !m.dirsOnly {
		if matches {
			target, err := os.Readlink(host)
			if err != nil {
				return nil, ignoreMissing(err)
			}
			li, err := os.Lstat(host)
			if err != nil {
				return nil, ignoreMissing(err)
			}
			m.record(rel, host, li, target)
		}
		return nil, nil
	}
	switch {
	case fi.IsDir():
		if matches {
			m.record(rel, real, fi, "")
		}
		return &dir{rel: rel, real: real}, nil
	case fi.Mode().IsRegular() && matches && !m.dirsOnly:
		m.record(rel, real, fi, "")
	}
	return nil, nil
}

// record adds a match; rel is relative to the base directory (to the source
// directory when matching base directories).
func (m *matcher) record(rel, host string, fi fs.FileInfo, link string) {
	if m.dirsOnly && !fi.IsDir() {
		return
	}
	e := Entry{
		Path:    rel,
		Source:  host,
		Mode:    fi.Mode().Type() | fi.Mode().Perm(),
		ModTime: fi.ModTime(),
		Link:    link,
	}
	if fi.Mode().IsRegular() {
		e.Size = fi.Size()
	}
	m.found = append(m.found, e)
}
