package buildlog

import (
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"
)

// Store keeps log groups and log streams under one directory. It is safe for
// concurrent use; see the package documentation for what it keeps on disk.
type Store struct {
	// Region and Account go into the ARNs that DescribeLogGroups and
	// DescribeLogStreams report. Open sets "us-east-1" and "000000000000";
	// change them before the Store is shared.
	Region  string
	Account string

	dir       string
	now       func() time.Time
	chunkSize int64

	mu     sync.Mutex        // guards groups
	groups map[string]*group // the groups looked up so far
}

type group struct {
	s       *Store
	name    string
	dir     string
	created int64

	mu      sync.Mutex         // guards streams and deleted
	streams map[string]*stream // the streams looked up so far
	deleted bool
}

// stream is a log stream. Its state is loaded from disk on first use and
// kept up to date by its Writer.
type stream struct {
	g       *group
	name    string
	dir     string
	created int64
	serial  uint64 // random, tells this stream from one of the same name before it

	mu      sync.RWMutex // guards the fields below and the chunks' mutable fields
	chunks  []*chunk
	count   int64 // events
	firstTS int64 // valid when count > 0
	lastTS  int64
	lastIng int64
	stored  int64 // bytes of the chunk files' valid parts
	// pending, when not 0, is at most the timestamp of any event the
	// Writer has made or is making but not yet published; see
	// Writer.markLocked.
	pending int64
	writer  *Writer
	deleted bool
}

// Open opens the store in dir, creating dir if needed, and removes what an
// interrupted create or delete left behind.
func Open(dir string) (*Store, error) {
	s := &Store{
		Region:    "us-east-1",
		Account:   "000000000000",
		dir:       dir,
		now:       time.Now,
		chunkSize: defaultChunkSize,
		groups:    map[string]*group{},
	}
	if err := os.MkdirAll(filepath.Join(dir, "groups"), 0o755); err != nil {
		return nil, err
	}
	tmp := filepath.Join(dir, "tmp")
	if err := os.RemoveAll(tmp); err != nil {
		return nil, fmt.Errorf("clean %s: %w", tmp, err)
	}
	if err := os.Mkdir(tmp, 0o755); err != nil {
		return nil, err
	}
	return s, nil
}

// Create opens stream in group for writing, creating the group and the
// stream if they do not exist and appending to the stream if it does (after
// dropping a torn last record a crash may have left). A stream has at most
// one Writer at a time: Create returns ErrStreamBusy while another is open.
func (s *Store) Create(groupName, streamName string) (*Writer, error) {
	if err := checkGroupName("logGroupName", groupName); err != nil {
		return nil, err
	}
	if err := checkStreamName("logStreamName", streamName); err != nil {
		return nil, err
	}
	for {
		g, err := s.group(groupName, true)
		if err != nil {
			return nil, err
		}
		st, err := g.stream(streamName, true)
		if errors.Is(err, ErrGroupNotFound) {
			continue // deleted meanwhile: create it again
		}
		if err != nil {
			return nil, err
		}
		w, err := st.openWriter()
		if errors.Is(err, ErrStreamNotFound) {
			continue
		}
		return w, err
	}
}

// DeleteStream deletes a log stream and its events. An open Writer of the
// stream fails from then on with ErrStreamNotFound; reads in progress finish.
func (s *Store) DeleteStream(groupName, streamName string) error {
	g, err := s.group(groupName, false)
	if err != nil {
		return err
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.deleted {
		return ErrGroupNotFound
	}
	st, err := g.streamLocked(streamName, false)
	if err != nil {
		return err
	}
	st.mu.Lock()
	st.deleted = true
	st.mu.Unlock()
	delete(g.streams, streamName)
	return s.remove(st.dir)
}

// DeleteGroup deletes a log group with all its streams, as DeleteStream does
// each.
func (s *Store) DeleteGroup(groupName string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, err := s.groupLocked(groupName, false)
	if err != nil {
		return err
	}
	delete(s.groups, groupName)
	g.mu.Lock()
	defer g.mu.Unlock()
	g.deleted = true
	for _, st := range g.streams {
		st.mu.Lock()
		st.deleted = true
		st.mu.Unlock()
	}
	return s.remove(g.dir)
}

// remove deletes a directory tree by renaming it into tmp first, so that a
// crash midway leaves nothing half deleted in place.
func (s *Store) remove(dir string) error {
	tmp, err := os.MkdirTemp(filepath.Join(s.dir, "tmp"), "delete-")
	if err != nil {
		return err
	}
	if err := os.Rename(dir, filepath.Join(tmp, "x")); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.RemoveAll(tmp)
}

func (s *Store) group(name string, create bool) (*group, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.groupLocked(name, create)
}

type groupMeta struct {
	Name         string `json:"name"`
	CreationTime int64  `json:"creationTime"`
}

type streamMeta struct {
	Name         string `json:"name"`
	CreationTime int64  `json:"creationTime"`
	Serial       uint64 `json:"serial"`
}

func (s *Store) groupLocked(name string, create bool) (*group, error) {
	if g := s.groups[name]; g != nil {
		return g, nil
	}
	dir := filepath.Join(s.dir, "groups", escapeName(name))
	var m groupMeta
	err := readJSON(filepath.Join(dir, "group.json"), &m)
	if errors.Is(err, fs.ErrNotExist) {
		if !create {
			return nil, ErrGroupNotFound
		}
		m = groupMeta{Name: name, CreationTime: s.now().UnixMilli()}
		err = s.createDir(dir, "group.json", m, "streams")
	}
	if err != nil {
		return nil, err
	}
	if m.Name != name {
		return nil, fmt.Errorf("log group %q: directory %s holds %q", name, dir, m.Name)
	}
	g := &group{s: s, name: name, dir: dir, created: m.CreationTime, streams: map[string]*stream{}}
	s.groups[name] = g
	return g, nil
}

// createDir creates dir with a metadata file (and an empty subdirectory)
// atomically: in tmp, then renamed into place.
func (s *Store) createDir(dir, metaFile string, meta any, sub string) error {
	tmp, err := os.MkdirTemp(filepath.Join(s.dir, "tmp"), "create-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	if sub != "" {
		if err := os.Mkdir(filepath.Join(tmp, sub), 0o755); err != nil {
			return err
		}
	}
	if err := writeJSON(filepath.Join(tmp, metaFile), meta); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	return nil
}

func (g *group) stream(name string, create bool) (*stream, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.deleted {
		return nil, ErrGroupNotFound
	}
	return g.streamLocked(name, create)
}

func (g *group) streamLocked(name string, create bool) (*stream, error) {
	if st := g.streams[name]; st != nil {
		return st, nil
	}
	dir := filepath.Join(g.dir, "streams", escapeName(name))
	var m streamMeta
	err := readJSON(filepath.Join(dir, "stream.json"), &m)
	if errors.Is(err, fs.ErrNotExist) {
		if !create {
			return nil, ErrStreamNotFound
		}
		var b [8]byte
		rand.Read(b[:])
		m = streamMeta{Name: name, CreationTime: g.s.now().UnixMilli(), Serial: binary.LittleEndian.Uint64(b[:]) >> 1}
		err = g.s.createDir(dir, "stream.json", m, "")
	}
	if err != nil {
		return nil, err
	}
	if m.Name != name {
		return nil, fmt.Errorf("log stream %q: directory %s holds %q", name, dir, m.Name)
	}
	st := &stream{g: g, name: name, dir: dir, created: m.CreationTime, serial: m.Serial}
	if err := st.load(); err != nil {
		return nil, fmt.Errorf("load log stream %q: %w", name, err)
	}
	g.streams[name] = st
	return st, nil
}

type summary struct {
	Chunk   string `json:"chunk"`
	Size    int64  `json:"size"`
	Count   int64  `json:"count"`
	LastTS  int64  `json:"lastEventTimestamp"`
	LastIng int64  `json:"lastIngestionTime"`
}

// load reads the stream's state from its chunk files: the names give each
// chunk's first event and timestamp, the sizes the stored bytes; the last
// non-empty chunk's event count and last times come from summary.json when
// it matches the chunk, and from a scan of the chunk when not.
func (st *stream) load() error {
	entries, err := os.ReadDir(st.dir)
	if err != nil {
		return err
	}
	sizes := map[string]int64{}
	for _, e := range entries {
		first, base, ok := parseChunkName(e.Name())
		if !ok {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		st.chunks = append(st.chunks, &chunk{name: e.Name(), first: first, base: base})
		sizes[e.Name()] = fi.Size()
	}
	slices.SortFunc(st.chunks, func(a, b *chunk) int { return cmp.Compare(a.first, b.first) })
	for i := 1; i < len(st.chunks); i++ {
		if st.chunks[i].first == st.chunks[i-1].first {
			return fmt.Errorf("chunks %s and %s start at the same event", st.chunks[i-1].name, st.chunks[i].name)
		}
	}
	var sum summary
	_ = readJSON(filepath.Join(st.dir, "summary.json"), &sum) // a missing or bad summary means a scan
	// Walk back from the end: trailing chunks may be empty (a crash right
	// after a chunk was created), and the last one with events must be
	// scanned unless the summary describes it.
	last := -1
	for i := len(st.chunks) - 1; i >= 0 && last < 0; i-- {
		c := st.chunks[i]
		if size := sizes[c.name]; c.name == sum.Chunk && size == sum.Size && sum.Count > 0 {
			c.count, c.size, c.lastTS, c.lastIng = sum.Count, size, sum.LastTS, sum.LastIng
		} else {
			res, err := scanChunk(filepath.Join(st.dir, c.name), c.base, -1)
			if err != nil {
				return err
			}
			c.count, c.size, c.lastTS, c.lastIng, c.idx = res.count, res.size, res.lastTS, res.lastIng, res.idx
		}
		if c.count > 0 {
			last = i
		}
	}
	// Before it, a chunk holds the events up to its successor's first.
	for i := 0; i < last; i++ {
		c := st.chunks[i]
		c.count = st.chunks[i+1].first - c.first
		c.size = sizes[c.name]
	}
	for _, c := range st.chunks {
		st.stored += c.size
		if c.count > 0 {
			if st.count == 0 {
				st.firstTS = c.base
			}
			st.count = c.first + c.count
			st.lastTS, st.lastIng = c.lastTS, c.lastIng
		}
	}
	return nil
}

// info is the stream's description at this moment.
func (st *stream) info(s *Store) LogStream {
	st.mu.RLock()
	defer st.mu.RUnlock()
	ls := LogStream{
		LogStreamName: st.name,
		CreationTime:  st.created,
		Arn:           fmt.Sprintf("arn:aws:logs:%s:%s:log-group:%s:log-stream:%s", s.Region, s.Account, st.g.name, st.name),
		StoredBytes:   st.stored,
	}
	if st.count > 0 {
		first, last, ing := st.firstTS, st.lastTS, st.lastIng
		ls.FirstEventTimestamp, ls.LastEventTimestamp, ls.LastIngestionTime = &first, &last, &ing
	}
	return ls
}

// streamNames lists the names of the group's streams on disk, sorted.
func (g *group) streamNames() ([]string, error) {
	return listNames(filepath.Join(g.dir, "streams"), "stream.json")
}

func listNames(dir, metaFile string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		if name, ok := unescapeName(e.Name()); ok {
			names = append(names, name)
			continue
		}
		var m struct{ Name string }
		if err := readJSON(filepath.Join(dir, e.Name(), metaFile), &m); err == nil && escapeName(m.Name) == e.Name() {
			names = append(names, m.Name)
		}
	}
	slices.Sort(names)
	return names, nil
}

// maxDirName bounds an escaped name; longer ones are shortened and hashed.
const maxDirName = 200

func safeByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.'
}

// escapeName turns any name into a file name that is safe and unique: bytes
// other than letters, digits, "-", "_" and a non-leading "." become %XX; an
// escaped name longer than maxDirName becomes its first 100 bytes, "~" and
// 32 hex digits of its SHA-256.
func escapeName(name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		c := name[i]
		if safeByte(c) && (c != '.' || i > 0) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	e := b.String()
	if len(e) <= maxDirName {
		return e
	}
	cut := 100
	if i := strings.LastIndexByte(e[:cut], '%'); i >= cut-2 {
		cut = i
	}
	sum := sha256.Sum256([]byte(name))
	return e[:cut] + "~" + hex.EncodeToString(sum[:16])
}

// unescapeName reverses escapeName; it reports false for shortened names and
// for anything escapeName does not produce.
func unescapeName(e string) (string, bool) {
	if e == "" || len(e) > maxDirName {
		return "", false
	}
	var b strings.Builder
	for i := 0; i < len(e); i++ {
		c := e[i]
		switch {
		case c == '%' && i+2 < len(e):
			v, err := hex.DecodeString(e[i+1 : i+3])
			if err != nil {
				return "", false
			}
			b.WriteByte(v[0])
			i += 2
		case safeByte(c) && (c != '.' || i > 0):
			b.WriteByte(c)
		default:
			return "", false
		}
	}
	name := b.String()
	if escapeName(name) != e {
		return "", false
	}
	return name, true
}

func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

// writeJSON replaces path atomically.
func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
