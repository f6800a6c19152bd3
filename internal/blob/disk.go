package blob

import (
	"context"
	"crypto/md5"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Disk is a store on the local file system, below one root directory:
//
//	buckets/<name>/bucket.json            region and creation time
//	buckets/<name>/obj/<xx>/<sha256(key)>  objects: bytes, JSON trailer
//	buckets/<name>/ver/<xx>/<sha256(key)>/<version id>  other versions
//	buckets/<name>/data/<xx>/<id>/part.<n> parts of completed uploads
//	buckets/<name>/uploads/<id>/upload.json, part.<n>
//	tmp/                                  files being written
//
// A Disk is safe for concurrent use. Only one Disk may use a root at a
// time.
type Disk struct {
	root, tmp string
	now       func() time.Time

	mu      sync.Mutex // guards buckets
	buckets map[string]*bucket

	pinMu  sync.Mutex
	pins   map[string]int    // data directories in use, by path: open readers, completes in flight
	doomed map[string]string // pinned data directories, by path when pinned, to remove (where they are now) once unpinned

	// completeHook, when a test sets it, runs once a CompleteUpload has
	// moved the parts to their data directory, just before the object file
	// goes into place; an error fails the CompleteUpload there.
	completeHook func() error
}

// bucket is a bucket in use and the index of its keys.
type bucket struct {
	name, dir string

	mu      sync.RWMutex        // guards the fields below, and renames into obj/ and ver/
	state   string              // versioning: "", VersioningEnabled or VersioningSuspended
	loaded  bool                // keys, vkeys and vers hold every version
	keys    []string            // sorted: the keys whose latest version is no delete marker
	vkeys   []string            // sorted: the keys with any version
	vers    map[string][]*entry // by key, latest first
	lastSeq int64               // the highest seq of a version
	gone    bool                // deleted
}

// entry is what listings show of a version, and where its parts are.
type entry struct {
	id       string // version id; NullVersion for the object file in obj/
	seq      int64  // orders a key's versions: the higher, the later
	size     int64
	etag     string
	modified time.Time
	marker   bool   // a delete marker
	data     string // fileMeta.Data
}

// trailer ends every object and part file: the JSON's length (uint32,
// little-endian) then the magic.
const (
	magic       = "CYB1"
	trailerLen  = 8
	maxMetaJSON = 4 << 20
)

// OpenDisk opens (creating) a store rooted at dir and removes what an
// interrupted write left behind.
func OpenDisk(dir string) (*Disk, error) {
	d := &Disk{root: dir, tmp: filepath.Join(dir, "tmp"), now: time.Now, buckets: map[string]*bucket{},
		pins: map[string]int{}, doomed: map[string]string{}}
	if err := os.RemoveAll(d.tmp); err != nil {
		return nil, fmt.Errorf("clean %s: %w", d.tmp, err)
	}
	for _, p := range []string{filepath.Join(dir, "buckets"), d.tmp} {
		if err := os.MkdirAll(p, 0o700); err != nil {
			return nil, err
		}
	}
	return d, nil
}

type bucketFile struct {
	Region     string    `json:"region"`
	Created    time.Time `json:"created"`
	Versioning string    `json:"versioning,omitempty"`
}

func (d *Disk) bucketDir(name string) string { return filepath.Join(d.root, "buckets", name) }

// CreateBucket makes a bucket. It fails with ErrInvalidBucket for a name
// S3 would refuse and ErrBucketExists when there is one by that name.
func (d *Disk) CreateBucket(ctx context.Context, name, region string) error {
	if !ValidBucketName(name) {
		return fmt.Errorf("bucket %q: %w", name, ErrInvalidBucket)
	}
	tmp, err := os.MkdirTemp(d.tmp, "bucket-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	data, _ := json.Marshal(bucketFile{Region: region, Created: d.now().UTC().Truncate(time.Millisecond)})
	if err := writeFileSync(filepath.Join(tmp, "bucket.json"), data); err != nil {
		return err
	}
	for _, sub := range []string{"obj", "data", "uploads"} {
		if err := os.Mkdir(filepath.Join(tmp, sub), 0o700); err != nil {
			return err
		}
	}
	dst := d.bucketDir(name)
	if err := os.Rename(tmp, dst); err != nil {
		if errors.Is(err, fs.ErrExist) || errors.Is(err, syscall.ENOTEMPTY) {
			return fmt.Errorf("bucket %s: %w", name, ErrBucketExists)
		}
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// Bucket returns a bucket's description.
func (d *Disk) Bucket(ctx context.Context, name string) (Bucket, error) {
	if !ValidBucketName(name) {
		return Bucket{}, fmt.Errorf("bucket %q: %w", name, ErrNoSuchBucket)
	}
	return d.readBucket(name)
}

func (d *Disk) readBucket(name string) (Bucket, error) {
	bf, err := d.readBucketFile(name)
	if err != nil {
		return Bucket{}, err
	}
	return Bucket{Name: name, Region: bf.Region, Created: bf.Created}, nil
}

func (d *Disk) readBucketFile(name string) (bucketFile, error) {
	data, err := os.ReadFile(filepath.Join(d.bucketDir(name), "bucket.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return bucketFile{}, fmt.Errorf("bucket %s: %w", name, ErrNoSuchBucket)
	}
	if err != nil {
		return bucketFile{}, err
	}
	var bf bucketFile
	if err := json.Unmarshal(data, &bf); err != nil {
		return bucketFile{}, fmt.Errorf("bucket %s: %w", name, err)
	}
	return bf, nil
}

// ListBuckets returns every bucket, sorted by name.
func (d *Disk) ListBuckets(ctx context.Context) ([]Bucket, error) {
	ents, err := os.ReadDir(filepath.Join(d.root, "buckets"))
	if err != nil {
		return nil, err
	}
	var out []Bucket
	for _, e := range ents {
		if !ValidBucketName(e.Name()) {
			continue
		}
		b, err := d.readBucket(e.Name())
		if errors.Is(err, ErrNoSuchBucket) {
			continue // deleted meanwhile
		}
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// DeleteBucket removes an empty bucket, and the multipart uploads in
// progress in it. It fails with ErrBucketNotEmpty when objects remain.
func (d *Disk) DeleteBucket(ctx context.Context, name string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, err := d.bucketLocked(name)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.loadLocked(d); err != nil {
		return err
	}
	if len(b.vkeys) > 0 {
		return fmt.Errorf("bucket %s: %w", name, ErrBucketNotEmpty)
	}
	trash, err := os.MkdirTemp(d.tmp, "deleted-")
	if err != nil {
		return err
	}
	if err := os.Rename(b.dir, filepath.Join(trash, "b")); err != nil {
		return err
	}
	b.gone = true
	delete(d.buckets, name)
	syncDir(filepath.Dir(b.dir))
	d.keepPinned(b.dir, filepath.Join(trash, "b"))
	return os.RemoveAll(trash)
}

// bucket returns the bucket in use by that name.
func (d *Disk) bucket(name string) (*bucket, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.bucketLocked(name)
}

func (d *Disk) bucketLocked(name string) (*bucket, error) {
	if b := d.buckets[name]; b != nil {
		return b, nil
	}
	if !ValidBucketName(name) {
		return nil, fmt.Errorf("bucket %q: %w", name, ErrNoSuchBucket)
	}
	bf, err := d.readBucketFile(name)
	if err != nil {
		return nil, err
	}
	b := &bucket{name: name, dir: d.bucketDir(name), state: bf.Versioning}
	d.buckets[name] = b
	return b, nil
}

// objectPath is where the object of a key lives: the key is hashed, so no
// key can name a path of its own.
func (b *bucket) objectPath(key string) string {
	sum := sha256.Sum256([]byte(key))
	h := hex.EncodeToString(sum[:])
	return filepath.Join(b.dir, "obj", h[:2], h)
}

// loadLocked builds the index from the object and version files, once,
// and removes the data directories no version refers to: those of
// versions replaced or deleted before a crash, or of a CompleteUpload a
// crash interrupted.
func (b *bucket) loadLocked(d *Disk) error {
	if b.loaded {
		return nil
	}
	b.vers = map[string][]*entry{}
	b.keys, b.vkeys, b.lastSeq = nil, nil, 0
	used := map[string]bool{}
	add := func(m *fileMeta) {
		e := entryOf(m)
		b.vers[m.Key] = append(b.vers[m.Key], e)
		b.lastSeq = max(b.lastSeq, e.seq)
		if m.Data != "" {
			used[m.Data] = true
		}
	}
	err := filepath.WalkDir(filepath.Join(b.dir, "obj"), func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		m, err := readFile(p)
		if skip, err := unreadable(err); skip || err != nil {
			return err // skip: not an object file, never served; err: the load fails rather than lose parts
		}
		if m.VersionID != "" || b.objectPath(m.Key) != p {
			return nil
		}
		add(&m)
		return nil
	})
	if err == nil {
		err = filepath.WalkDir(filepath.Join(b.dir, "ver"), func(p string, de fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) && p == filepath.Join(b.dir, "ver") {
				return fs.SkipAll // a bucket that never kept versions
			}
			if err != nil || de.IsDir() {
				return err
			}
			m, err := readFile(p)
			if skip, err := unreadable(err); skip || err != nil {
				return err
			}
			if !validVersionID(m.VersionID) || b.versionPath(m.Key, m.VersionID) != p {
				return nil
			}
			add(&m)
			return nil
		})
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("bucket %s: %w", b.name, ErrNoSuchBucket)
		}
		return fmt.Errorf("index bucket %s: %w", b.name, err)
	}
	fans, _ := os.ReadDir(filepath.Join(b.dir, "data"))
	for _, fan := range fans {
		ids, _ := os.ReadDir(filepath.Join(b.dir, "data", fan.Name()))
		for _, id := range ids {
			if !used[id.Name()] {
				d.release(filepath.Join(b.dir, "data", fan.Name(), id.Name()))
			}
		}
	}
	for k, vs := range b.vers {
		sortVersions(vs)
		b.vkeys = append(b.vkeys, k)
		if !vs[0].marker {
			b.keys = append(b.keys, k)
		}
	}
	slices.Sort(b.keys)
	slices.Sort(b.vkeys)
	b.loaded = true
	return nil
}

// readFile reads the trailer of an object or version file.
// unreadable sorts an error of readFile during the index load: a file
// that is not an object file (or is gone) is skipped; any other error
// (EIO, EMFILE...) must fail the load, which would otherwise take the
// file's parts for unused and remove them.
func unreadable(err error) (skip bool, _ error) {
	switch {
	case err == nil:
		return false, nil
	case errors.Is(err, errCorrupt), errors.Is(err, fs.ErrNotExist):
		return true, nil
	}
	return false, err
}

func readFile(p string) (fileMeta, error) {
	f, err := os.Open(p)
	if err != nil {
		return fileMeta{}, err
	}
	defer f.Close()
	return readTrailer(f)
}

func entryOf(m *fileMeta) *entry {
	o := &m.Object
	e := &entry{id: o.VersionID, seq: m.Seq, size: o.Size, etag: o.ETag, modified: o.Modified, marker: o.DeleteMarker, data: m.Data}
	if e.id == "" {
		e.id = NullVersion
	} else {
		e.seq = versionSeq(e.id)
	}
	return e
}

// sortVersions orders a key's versions latest first.
func sortVersions(vs []*entry) {
	slices.SortFunc(vs, func(a, b *entry) int {
		if a.seq != b.seq {
			if a.seq > b.seq {
				return -1
			}
			return 1
		}
		return strings.Compare(b.id, a.id)
	})
}

// indexPutLocked adds a version that went into place to the index,
// replacing the one with its id.
func (b *bucket) indexPutLocked(m *fileMeta) {
	if !b.loaded {
		return
	}
	e := entryOf(m)
	vs := slices.DeleteFunc(b.vers[m.Key], func(x *entry) bool { return x.id == e.id })
	vs = append(vs, e)
	sortVersions(vs)
	b.vers[m.Key] = vs
	b.lastSeq = max(b.lastSeq, e.seq)
	b.reindexLocked(m.Key)
}

// indexDeleteLocked drops a version from the index.
func (b *bucket) indexDeleteLocked(key, id string) {
	if !b.loaded {
		return
	}
	b.vers[key] = slices.DeleteFunc(b.vers[key], func(x *entry) bool { return x.id == id })
	b.reindexLocked(key)
}

// reindexLocked puts key in keys and vkeys, or takes it out, as its
// versions say.
func (b *bucket) reindexLocked(key string) {
	vs := b.vers[key]
	if len(vs) == 0 {
		delete(b.vers, key)
	}
	b.vkeys = setMember(b.vkeys, key, len(vs) > 0)
	b.keys = setMember(b.keys, key, len(vs) > 0 && !vs[0].marker)
}

// setMember adds key to the sorted keys, or removes it.
func setMember(keys []string, key string, in bool) []string {
	i, found := slices.BinarySearch(keys, key)
	switch {
	case in && !found:
		return slices.Insert(keys, i, key)
	case !in && found:
		return slices.Delete(keys, i, i+1)
	}
	return keys
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 64<<10); return &b }}

// copyBody copies r to w and to h through a pooled 64 KiB buffer, which it
// fills before each write, as a request body comes off the socket a few KiB
// at a time. A bigger buffer costs more: measured with BenchmarkS3UploadPart
// (internal/awsapi), writes of 1 MiB took the kernel three to four times
// the CPU of writes of 64 KiB, whose bytes are still in cache from hashing.
func copyBody(w io.Writer, h hash.Hash, r io.Reader) (int64, error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	var n int64
	for {
		k := 0
		var err error
		for k < len(buf) && err == nil {
			var m int
			m, err = r.Read(buf[k:])
			k += m
		}
		if k > 0 {
			h.Write(buf[:k])
			if _, werr := w.Write(buf[:k]); werr != nil {
				return n, werr
			}
			n += int64(k)
		}
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

// Put stores the bytes of r as the object at key, replacing any. Nothing
// is visible until r has been read to its end and o.Check has passed;
// when either fails nothing changes.
func (d *Disk) Put(ctx context.Context, bucketName, key string, r io.Reader, o PutOptions) (Object, error) {
	if err := CheckKey(key); err != nil {
		return Object{}, err
	}
	b, err := d.bucket(bucketName)
	if err != nil {
		return Object{}, err
	}
	f, err := os.CreateTemp(d.tmp, "put-")
	if err != nil {
		return Object{}, err
	}
	defer func() {
		f.Close()
		os.Remove(f.Name()) // fails harmlessly once renamed
	}()
	h := md5.New()
	n, err := copyBody(f, h, r)
	if err != nil {
		return Object{}, err
	}
	sum := h.Sum(nil)
	obj := Object{Key: key, Size: n, ETag: hex.EncodeToString(sum), Modified: d.now().UTC().Truncate(time.Millisecond),
		ContentType: o.ContentType, Headers: nonEmpty(o.Headers), Meta: nonEmpty(o.Meta)}
	if o.Check != nil {
		if err := o.Check(&obj, sum); err != nil {
			return Object{}, err
		}
	}
	m := &fileMeta{Object: obj}
	id, err := d.stamp(b, m)
	if err != nil {
		return Object{}, err
	}
	if err := finish(f, m); err != nil {
		return Object{}, err
	}
	if _, err := d.install(b, f.Name(), m); err != nil {
		return Object{}, err
	}
	obj.VersionID = id
	return obj, nil
}

func nonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// fileMeta is the JSON trailer of an object or part file: the object, and
// for an object kept as the parts of its multipart upload, where they are.
type fileMeta struct {
	Object
	// Data, when set, is the upload whose part files in data/<xx>/<Data>/
	// hold the object's bytes, in the order of Spans; the object file then
	// holds the trailer alone.
	Data  string `json:"data,omitempty"`
	Spans []span `json:"spans,omitempty"`
	// Seq orders the null version in obj/ among the key's other versions,
	// whose ids hold theirs; 0 for one written before the bucket had
	// versioning on.
	Seq int64 `json:"seq,omitempty"`
}

// span is one part of an object kept as parts: its file, part.<Part>,
// holds Size bytes of the object and then the part's trailer.
type span struct {
	Part int   `json:"part"`
	Size int64 `json:"size"`
}

// finish appends the trailer to a file holding an object's bytes (or none,
// for an object kept as parts), syncs and closes it.
func finish(f *os.File, m *fileMeta) error {
	meta, err := json.Marshal(m)
	if err != nil {
		return err
	}
	meta = binary.LittleEndian.AppendUint32(meta, uint32(len(meta)))
	meta = append(meta, magic...)
	if _, err := f.Write(meta); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

// install renames the finished file name into place as the object m,
// reporting whether it did even when it fails after. The data directory of
// the object it replaces is removed once the rename is durable and no
// reader has it open.
func (d *Disk) install(b *bucket, name string, m *fileMeta) (placed bool, err error) {
	dst := b.objectPath(m.Key)
	if m.VersionID != "" {
		dst = b.versionPath(m.Key, m.VersionID)
	}
	b.mu.Lock()
	if b.gone {
		b.mu.Unlock()
		return false, fmt.Errorf("bucket %s: %w", b.name, ErrNoSuchBucket)
	}
	old := ""
	if m.VersionID == "" {
		old = b.dataLocked(m.Key, dst)
	}
	err = os.Rename(name, dst)
	if errors.Is(err, fs.ErrNotExist) {
		if m.VersionID == "" {
			err = os.MkdirAll(filepath.Dir(dst), 0o700)
		} else {
			key := filepath.Dir(dst)
			err = mkdirDurable(filepath.Join(b.dir, "ver"), filepath.Dir(key), key)
		}
		if err == nil {
			err = os.Rename(name, dst)
		}
	}
	if err == nil {
		b.indexPutLocked(m)
		if m.Data != "" {
			d.keep(b.dataDir(m.Data))
		}
	}
	b.mu.Unlock()
	if err != nil {
		return false, err
	}
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return true, err
	}
	if old != "" && old != m.Data {
		d.release(b.dataDir(old))
	}
	return true, nil
}

// dataDir is where the parts of a completed upload live.
func (b *bucket) dataDir(id string) string { return filepath.Join(b.dir, "data", id[:2], id) }

// dataLocked returns the data directory's id of the object at key, whose
// file is p: "" when there is none or it holds its own bytes.
func (b *bucket) dataLocked(key, p string) string {
	if b.loaded {
		for _, e := range b.vers[key] {
			if e.id == NullVersion {
				return e.data
			}
		}
		return ""
	}
	f, err := os.Open(p)
	if err != nil {
		return ""
	}
	defer f.Close()
	m, err := readTrailer(f)
	if err != nil || m.Key != key {
		return ""
	}
	return m.Data
}

// pin keeps the data directory dir while a reader or a CompleteUpload
// uses it.
func (d *Disk) pin(dir string) {
	d.pinMu.Lock()
	d.pins[dir]++
	d.pinMu.Unlock()
}

// unpin undoes a pin, removing dir when it was released meanwhile and
// this was the last pin.
func (d *Disk) unpin(dir string) {
	d.pinMu.Lock()
	d.pins[dir]--
	last := d.pins[dir] == 0
	drop := ""
	if last {
		drop = d.doomed[dir]
		delete(d.pins, dir)
		delete(d.doomed, dir)
	}
	d.pinMu.Unlock()
	if drop != "" {
		os.RemoveAll(drop)
	}
}

// release removes a data directory that no object refers to, now or, when
// it is pinned, at its last unpin.
func (d *Disk) release(dir string) {
	d.pinMu.Lock()
	busy := d.pins[dir] > 0
	if busy {
		d.doomed[dir] = dir
	}
	d.pinMu.Unlock()
	if !busy {
		os.RemoveAll(dir)
	}
}

// keepPinned saves the pinned data directories of a bucket being deleted,
// whose directory was moved from dir to trash, from the trash's removal:
// each goes to a directory of its own in tmp, which its last unpin
// removes (and a restart, which empties tmp). Readers go on through the
// directory they hold open.
func (d *Disk) keepPinned(dir, trash string) {
	d.pinMu.Lock()
	defer d.pinMu.Unlock()
	data := filepath.Join(dir, "data") + string(filepath.Separator)
	for p := range d.pins {
		rest, ok := strings.CutPrefix(p, data)
		if !ok {
			continue
		}
		moved := filepath.Join(d.tmp, "pinned-"+randomID())
		if os.Rename(filepath.Join(trash, "data", rest), moved) == nil {
			d.doomed[p] = moved
		}
	}
}

// keep cancels a release of dir: an object refers to it again.
func (d *Disk) keep(dir string) {
	d.pinMu.Lock()
	delete(d.doomed, dir)
	d.pinMu.Unlock()
}

// readTrailer reads the description at the end of an object or part file.
func readTrailer(f *os.File) (fileMeta, error) {
	fi, err := f.Stat()
	if err != nil {
		return fileMeta{}, err
	}
	size := fi.Size()
	var foot [trailerLen]byte
	if size < trailerLen {
		return fileMeta{}, errCorrupt
	}
	if _, err := f.ReadAt(foot[:], size-trailerLen); err != nil {
		return fileMeta{}, err
	}
	if string(foot[4:]) != magic {
		return fileMeta{}, errCorrupt
	}
	n := int64(binary.LittleEndian.Uint32(foot[:4]))
	if n > maxMetaJSON || n > size-trailerLen {
		return fileMeta{}, errCorrupt
	}
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, size-trailerLen-n); err != nil {
		return fileMeta{}, err
	}
	var m fileMeta
	if err := json.Unmarshal(buf, &m); err != nil {
		return fileMeta{}, errCorrupt
	}
	stored := size - trailerLen - n
	if m.Data == "" {
		if m.Size != stored || m.Spans != nil {
			return fileMeta{}, errCorrupt
		}
		return m, nil
	}
	if stored != 0 || !validUploadID(m.Data) || len(m.Spans) == 0 {
		return fileMeta{}, errCorrupt
	}
	var total int64
	for _, s := range m.Spans {
		if s.Part < 1 || s.Part > MaxParts || s.Size < 0 {
			return fileMeta{}, errCorrupt
		}
		total += s.Size
	}
	if total != m.Size {
		return fileMeta{}, errCorrupt
	}
	return m, nil
}

var errCorrupt = errors.New("not an object file")

// Reader reads one object as it was when opened, even if it is replaced
// or deleted meanwhile. It is not safe for concurrent use.
type Reader interface {
	io.ReaderAt // reads end at the object's end
	io.Closer
	Object() Object
	// WriteRange writes n bytes from offset off to w.
	WriteRange(w io.Writer, off, n int64) (int64, error)
}

// PartRanger is implemented by the Reader of an object a multipart upload
// made, whose parts are kept as they were uploaded: part n, from 1 to
// Object().Parts in the order of the upload's Complete, is the object's
// bytes [off, off+size).
type PartRanger interface {
	PartRange(n int) (off, size int64, ok bool)
}

// diskReader reads an object file that holds its own bytes.
type diskReader struct {
	f   *os.File
	obj Object
}

func (r *diskReader) Object() Object { return r.obj }
func (r *diskReader) Close() error   { return r.f.Close() }

func (r *diskReader) ReadAt(p []byte, off int64) (int, error) {
	if off >= r.obj.Size {
		return 0, io.EOF
	}
	short := false
	if rest := r.obj.Size - off; int64(len(p)) > rest {
		p, short = p[:rest], true
	}
	n, err := r.f.ReadAt(p, off)
	if err == nil && short {
		err = io.EOF
	}
	return n, err
}

func (r *diskReader) WriteRange(w io.Writer, off, n int64) (int64, error) {
	if off < 0 || n < 0 || off+n > r.obj.Size {
		return 0, fmt.Errorf("range %d+%d outside an object of %d bytes", off, n, r.obj.Size)
	}
	if _, err := r.f.Seek(off, io.SeekStart); err != nil {
		return 0, err
	}
	// An *io.LimitedReader of an *os.File lets net/http use sendfile.
	return io.CopyN(w, r.f, n)
}

// partsReader reads an object kept as the part files of its upload,
// opening each as it comes to it. Its data directory stays pinned until
// Close, so the files outlive a replacement or deletion of the object.
type partsReader struct {
	d     *Disk
	dir   string   // the pinned data directory, by its path when opened
	root  *os.Root // that directory
	obj   Object
	spans []span
	ends  []int64 // ends[i] is the offset just past spans[i]
	cur   int     // the span whose file f is
	f     *os.File
	done  bool // closed
}

// newPartsReader reads the parts in dir, which the caller has pinned. It
// holds the directory itself open, so a reader goes on reading whole
// after a DeleteBucket moved the directory away (see keepPinned).
func newPartsReader(d *Disk, dir string, m fileMeta) (*partsReader, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, err
	}
	r := &partsReader{d: d, dir: dir, root: root, obj: m.Object, spans: m.Spans, ends: make([]int64, len(m.Spans)), cur: -1}
	var end int64
	for i, s := range m.Spans {
		end += s.Size
		r.ends[i] = end
	}
	return r, nil
}

func (r *partsReader) Object() Object { return r.obj }

func (r *partsReader) PartRange(n int) (off, size int64, ok bool) {
	if n < 1 || n > len(r.spans) {
		return 0, 0, false
	}
	size = r.spans[n-1].Size
	return r.ends[n-1] - size, size, true
}

func (r *partsReader) Close() error {
	if r.done {
		return nil
	}
	r.done = true
	var err error
	if r.f != nil {
		err = r.f.Close()
	}
	r.root.Close()
	r.d.unpin(r.dir)
	return err
}

// locate returns the span holding offset off, which is inside the object,
// and the offset in its file.
func (r *partsReader) locate(off int64) (int, int64) {
	i := sort.Search(len(r.ends), func(i int) bool { return r.ends[i] > off })
	return i, off - (r.ends[i] - r.spans[i].Size)
}

// file returns the open file of span i.
func (r *partsReader) file(i int) (*os.File, error) {
	if r.done {
		return nil, os.ErrClosed
	}
	if r.cur == i {
		return r.f, nil
	}
	if r.f != nil {
		r.f.Close()
		r.f, r.cur = nil, -1
	}
	f, err := r.root.Open("part." + strconv.Itoa(r.spans[i].Part))
	if err != nil {
		return nil, err
	}
	r.f, r.cur = f, i
	return f, nil
}

func (r *partsReader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("read at %d: negative offset", off)
	}
	n := 0
	for len(p) > 0 && off < r.obj.Size {
		i, in := r.locate(off)
		f, err := r.file(i)
		if err != nil {
			return n, err
		}
		k := min(int64(len(p)), r.spans[i].Size-in)
		m, err := f.ReadAt(p[:k], in)
		n, off, p = n+m, off+int64(m), p[m:]
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF // the part file is short
			}
			return n, err
		}
	}
	if len(p) > 0 {
		return n, io.EOF
	}
	return n, nil
}

func (r *partsReader) WriteRange(w io.Writer, off, n int64) (int64, error) {
	if off < 0 || n < 0 || off+n > r.obj.Size {
		return 0, fmt.Errorf("range %d+%d outside an object of %d bytes", off, n, r.obj.Size)
	}
	var done int64
	for done < n {
		i, in := r.locate(off + done)
		f, err := r.file(i)
		if err != nil {
			return done, err
		}
		if _, err := f.Seek(in, io.SeekStart); err != nil {
			return done, err
		}
		// Part by part, net/http still sends with sendfile.
		k, err := io.CopyN(w, f, min(n-done, r.spans[i].Size-in))
		done += k
		if err != nil {
			return done, err
		}
	}
	return done, nil
}

// Open opens an object's latest version for reading.
func (d *Disk) Open(ctx context.Context, bucketName, key string) (Reader, error) {
	return d.OpenVersion(ctx, bucketName, key, "")
}

// OpenVersion opens a version of an object for reading: the latest when
// versionID is "". A version that is not there is ErrNoSuchVersion; a
// delete marker is a *MarkerError.
func (d *Disk) OpenVersion(ctx context.Context, bucketName, key, versionID string) (Reader, error) {
	if versionID != "" {
		if err := CheckVersionID(versionID); err != nil {
			return nil, err
		}
	}
	b, err := d.bucket(bucketName)
	if err != nil {
		return nil, err
	}
	// The read lock orders the pin after any replacement that released
	// the parts this object file names.
	if err := d.rlockVersioned(b); err != nil {
		return nil, err
	}
	var p, report string
	if b.state == "" {
		p = b.objectPath(key) // no version but the null one: no index needed
		if versionID != "" && versionID != NullVersion {
			err = fs.ErrNotExist
		}
		if versionID == NullVersion {
			report = NullVersion
		}
	} else {
		var e *entry
		e, err = b.findLocked(key, versionID)
		if err == nil {
			p, report = b.objectPath(key), e.id
			if e.id != NullVersion {
				p = b.versionPath(key, e.id)
			}
		}
	}
	var f *os.File
	var m fileMeta
	if err == nil {
		f, err = os.Open(p)
	}
	if err == nil {
		m, err = readTrailer(f)
		if err == nil && (m.Key != key || m.DeleteMarker) {
			err = errCorrupt
		}
		if err == nil && m.Data != "" {
			d.pin(b.dataDir(m.Data))
		}
	}
	b.mu.RUnlock()
	if err != nil {
		if f != nil {
			f.Close()
		}
		switch {
		case errors.Is(err, fs.ErrNotExist) || errors.Is(err, errCorrupt):
			if versionID != "" {
				return nil, fmt.Errorf("object %s: version %s: %w", key, versionID, ErrNoSuchVersion)
			}
			return nil, fmt.Errorf("object %s: %w", key, ErrNoSuchKey)
		}
		return nil, err
	}
	m.VersionID = report
	if m.Data == "" {
		return &diskReader{f: f, obj: m.Object}, nil
	}
	f.Close()
	r, err := newPartsReader(d, b.dataDir(m.Data), m)
	if err != nil {
		d.unpin(b.dataDir(m.Data))
		if errors.Is(err, fs.ErrNotExist) { // deleted, and its bucket with it, since the lookup
			return nil, fmt.Errorf("object %s: %w", key, ErrNoSuchKey)
		}
		return nil, err
	}
	return r, nil
}

// Stat returns an object's description.
func (d *Disk) Stat(ctx context.Context, bucketName, key string) (Object, error) {
	r, err := d.Open(ctx, bucketName, key)
	if err != nil {
		return Object{}, err
	}
	defer r.Close()
	return r.Object(), nil
}

// Delete removes an object as DeleteVersion does without a version id.
// Removing one that does not exist is not an error, as in S3.
func (d *Disk) Delete(ctx context.Context, bucketName, key string) error {
	_, err := d.DeleteVersion(ctx, bucketName, key, "")
	return err
}

// List returns one page of a bucket's objects.
func (d *Disk) List(ctx context.Context, bucketName string, q ListQuery) (ListResult, error) {
	b, err := d.bucket(bucketName)
	if err != nil {
		return ListResult{}, err
	}
	b.mu.RLock()
	if !b.loaded {
		b.mu.RUnlock()
		b.mu.Lock()
		err := b.loadLocked(d)
		b.mu.Unlock()
		if err != nil {
			return ListResult{}, err
		}
		b.mu.RLock()
	}
	defer b.mu.RUnlock()
	if b.gone {
		return ListResult{}, fmt.Errorf("bucket %s: %w", b.name, ErrNoSuchBucket)
	}
	return listKeys(b.keys, func(k string) Object {
		e := b.vers[k][0]
		return Object{Key: k, Size: e.size, ETag: e.etag, Modified: e.modified}
	}, q), nil
}

// listKeys pages through sorted keys as ListQuery says.
func listKeys(keys []string, obj func(string) Object, q ListQuery) ListResult {
	max := q.Max
	if max <= 0 {
		max = 1000
	}
	start := q.Prefix
	if q.After > start {
		start = q.After
	}
	i := sort.SearchStrings(keys, start)
	seek := func(from string) int {
		end := PrefixEnd(from)
		if end == "" {
			return len(keys)
		}
		return sort.SearchStrings(keys, end)
	}
	var res ListResult
	n := 0
	for i < len(keys) && strings.HasPrefix(keys[i], q.Prefix) {
		k := keys[i]
		if k <= q.After {
			i++
			continue
		}
		if q.Delimiter != "" {
			if j := strings.Index(k[len(q.Prefix):], q.Delimiter); j >= 0 {
				cp := k[:len(q.Prefix)+j+len(q.Delimiter)]
				i = seek(cp)
				if strings.HasPrefix(q.After, cp) {
					continue // the page before ended in this prefix
				}
				if n == max {
					res.Truncated = true
					break
				}
				res.Prefixes = append(res.Prefixes, cp)
				res.Next, n = cp, n+1
				continue
			}
		}
		if n == max {
			res.Truncated = true
			break
		}
		res.Objects = append(res.Objects, obj(k))
		res.Next, n = k, n+1
		i++
	}
	if !res.Truncated {
		res.Next = ""
	}
	return res
}

// writeFileSync writes a new file and syncs it.
func writeFileSync(name string, data []byte) error {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// syncDir makes a rename in dir durable.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil && !errors.Is(err, syscall.EINVAL) {
		return err
	}
	return nil
}

// randomID returns 32 hex digits.
func randomID() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
