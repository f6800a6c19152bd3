package cache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/klauspost/compress/zstd"
)

// ErrNotFound is returned by Remove and RemoveProject when no entry matches.
var ErrNotFound = errors.New("not found")

// magic is the first line of every entry file.
const magic = "codeyard-cache/1"

const (
	entriesDir = "entries"
	tmpDir     = "tmp"
	entryExt   = ".cache"

	// maxHeader bounds the JSON header of an entry file.
	maxHeader = 1 << 20

	// staleTmp is how old a temporary file must be before Open removes it.
	staleTmp = time.Hour
)

// Store keeps cache entries in a local directory; Open returns one. Its
// methods may be called concurrently, also from several processes sharing
// the directory: an entry appears with a link or a rename of a complete
// file, so a reader sees a whole entry or none, and two builds saving the
// same key race safely (one wins, the other is told the key exists).
// Entry files are readable by the store's owner only, since caches may
// hold credentials.
type Store struct {
	dir      string
	encoders chan *zstd.Encoder
	decoders chan *zstd.Decoder

	// Now returns the current time. Nil means time.Now. Tests set it to
	// order entries deterministically.
	Now func() time.Time
}

// Open opens the store in dir, creating it if needed, and removes
// temporary files that a crashed save left behind.
func Open(dir string) (*Store, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open cache store: %w", err)
	}
	for _, d := range []string{entriesDir, tmpDir} {
		if err := os.MkdirAll(filepath.Join(abs, d), 0o755); err != nil {
			return nil, fmt.Errorf("open cache store: %w", err)
		}
	}
	s := &Store{
		dir:      abs,
		encoders: make(chan *zstd.Encoder, poolSize),
		decoders: make(chan *zstd.Decoder, poolSize),
	}
	s.cleanTmp()
	return s, nil
}

func (s *Store) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// cleanTmp removes temporary files older than staleTmp. A younger one may
// belong to a save in progress.
func (s *Store) cleanTmp() {
	des, err := os.ReadDir(filepath.Join(s.dir, tmpDir))
	if err != nil {
		return
	}
	cutoff := time.Now().Add(-staleTmp)
	for _, de := range des {
		if fi, err := de.Info(); err == nil && fi.ModTime().Before(cutoff) {
			_ = os.Remove(filepath.Join(s.dir, tmpDir, de.Name()))
		}
	}
}

// Entry describes one saved cache.
type Entry struct {
	// Key is the buildspec's cache key; empty for a project's unkeyed cache.
	Key string
	// Project is the scope the entry was saved in: the project's cache
	// namespace, or its name when it has none.
	Project string
	// Paths are the cache paths the entry was saved with.
	Paths []string
	// Files and Bytes count the regular files and symbolic links, and the
	// bytes of the regular files, in the entry.
	Files int
	Bytes int64
	// Size is the size of the compressed entry on disk.
	Size int64
	// Created is when the entry was saved; LastUsed when it was last
	// restored (Created if never).
	Created  time.Time
	LastUsed time.Time
	// Path is the entry's file.
	Path string
	// Damaged is set when the entry's header cannot be read; only Path, Size
	// and LastUsed are known then.
	Damaged bool

	version string
}

// header is the JSON header of an entry file.
type header struct {
	Key     string    `json:"key"`
	Project string    `json:"project"`
	Version string    `json:"version"`
	Paths   []string  `json:"paths"`
	Created time.Time `json:"created"`
	Files   int       `json:"files"`
	Bytes   int64     `json:"bytes"`
}

// entryName returns the file name of the entry for key in project with the
// given cache version. A key's entry depends on its project (the cache
// namespace) and version; the unkeyed project cache only on its project,
// since CodeBuild offers versioning only with a key.
func entryName(project, key, version string) string {
	var h [sha256.Size]byte
	if key == "" {
		h = sha256.Sum256([]byte("project\x00" + project))
		return "p-" + hex.EncodeToString(h[:]) + entryExt
	}
	h = sha256.Sum256([]byte("key\x00" + project + "\x00" + key + "\x00" + version))
	return "k-" + hex.EncodeToString(h[:]) + entryExt
}

func (s *Store) entryPath(name string) string {
	return filepath.Join(s.dir, entriesDir, name)
}

// An entry file is the line magic, a zstd-compressed tar stream, the JSON
// header, and the header's length as 8 big-endian bytes. The header comes
// last because its counts are known only once the archive is written; a
// truncated file loses it and reads as damaged.
const trailerLen = 8

// readHeader reads the header of the entry file f of the given size and
// returns it with the byte range of the compressed archive.
func readHeader(f io.ReaderAt, size int64) (h header, off, n int64, err error) {
	off = int64(len(magic) + 1)
	if size < off+trailerLen {
		return h, 0, 0, errors.New("not a cache entry")
	}
	buf := make([]byte, off)
	if _, err := f.ReadAt(buf, 0); err != nil || string(buf) != magic+"\n" {
		return h, 0, 0, errors.New("not a cache entry")
	}
	var tl [trailerLen]byte
	if _, err := f.ReadAt(tl[:], size-trailerLen); err != nil {
		return h, 0, 0, fmt.Errorf("cache entry header: %w", err)
	}
	hl := int64(binary.BigEndian.Uint64(tl[:]))
	if hl <= 0 || hl > maxHeader || hl > size-off-trailerLen {
		return h, 0, 0, errors.New("cache entry header missing; entry truncated?")
	}
	hb := make([]byte, hl)
	if _, err := f.ReadAt(hb, size-trailerLen-hl); err != nil {
		return h, 0, 0, fmt.Errorf("cache entry header: %w", err)
	}
	if err := json.Unmarshal(hb, &h); err != nil {
		return h, 0, 0, fmt.Errorf("cache entry header: %w", err)
	}
	return h, off, size - trailerLen - hl - off, nil
}

// writeMagic starts an entry file.
func writeMagic(w io.Writer) error {
	_, err := io.WriteString(w, magic+"\n")
	return err
}

// writeHeader ends an entry file.
func writeHeader(w io.Writer, h header) error {
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	b = binary.BigEndian.AppendUint64(b, uint64(len(b)))
	_, err = w.Write(b)
	return err
}

// stat reads the entry at path.
func stat(path string) (Entry, error) {
	f, err := os.Open(path)
	if err != nil {
		return Entry{}, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Entry{}, err
	}
	e := Entry{Path: path, Size: fi.Size(), LastUsed: fi.ModTime()}
	h, _, _, err := readHeader(f, fi.Size())
	if err != nil {
		e.Damaged = true
		return e, nil
	}
	e.Key, e.Project, e.Paths, e.version = h.Key, h.Project, h.Paths, h.Version
	e.Files, e.Bytes, e.Created = h.Files, h.Bytes, h.Created
	return e, nil
}

// List returns every entry, newest first.
func (s *Store) List() ([]Entry, error) {
	des, err := os.ReadDir(filepath.Join(s.dir, entriesDir))
	if err != nil {
		return nil, fmt.Errorf("list cache: %w", err)
	}
	var es []Entry
	for _, de := range des {
		if !strings.HasSuffix(de.Name(), entryExt) {
			continue
		}
		e, err := stat(filepath.Join(s.dir, entriesDir, de.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("list cache: %w", err)
		}
		es = append(es, e)
	}
	slices.SortStableFunc(es, func(a, b Entry) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return strings.Compare(a.Path, b.Path)
	})
	return es, nil
}

// Remove deletes every entry saved with key, in all projects and with all
// cache paths. The unkeyed project caches are removed with RemoveProject.
func (s *Store) Remove(key string) error {
	if key == "" {
		return errors.New("remove cache: empty key")
	}
	return s.removeIf(func(e Entry) bool { return !e.Damaged && e.Key == key }, "key "+key)
}

// RemoveProject deletes every entry of project, keyed or not, as
// CodeBuild's InvalidateProjectCache resets a project's cache.
func (s *Store) RemoveProject(project string) error {
	return s.removeIf(func(e Entry) bool { return !e.Damaged && e.Project == project }, "project "+project)
}

// RemoveAll deletes every entry.
func (s *Store) RemoveAll() error {
	return s.removeIf(func(Entry) bool { return true }, "")
}

func (s *Store) removeIf(match func(Entry) bool, what string) error {
	es, err := s.List()
	if err != nil {
		return err
	}
	n := 0
	for _, e := range es {
		if !match(e) {
			continue
		}
		if err := os.Remove(e.Path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("remove cache: %w", err)
		}
		n++
	}
	if n == 0 && what != "" {
		return fmt.Errorf("remove cache %s: %w", what, ErrNotFound)
	}
	return nil
}
