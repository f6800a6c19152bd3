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
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Disk is a store on the local file system, below one root directory:
//
//	buckets/<name>/bucket.json            region and creation time
//	buckets/<name>/obj/<xx>/<sha256(key)>  objects: bytes, JSON trailer
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
}

// bucket is a bucket in use and the index of its keys.
type bucket struct {
	name, dir string

	mu     sync.RWMutex // guards the fields below, and renames into obj/
	loaded bool         // keys and objs hold every object
	keys   []string     // sorted
	objs   map[string]*entry
	gone   bool // deleted
}

// entry is what listings show of an object.
type entry struct {
	size     int64
	etag     string
	modified time.Time
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
	d := &Disk{root: dir, tmp: filepath.Join(dir, "tmp"), now: time.Now, buckets: map[string]*bucket{}}
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
	Region  string    `json:"region"`
	Created time.Time `json:"created"`
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
	for _, sub := range []string{"obj", "uploads"} {
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
	data, err := os.ReadFile(filepath.Join(d.bucketDir(name), "bucket.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return Bucket{}, fmt.Errorf("bucket %s: %w", name, ErrNoSuchBucket)
	}
	if err != nil {
		return Bucket{}, err
	}
	var bf bucketFile
	if err := json.Unmarshal(data, &bf); err != nil {
		return Bucket{}, fmt.Errorf("bucket %s: %w", name, err)
	}
	return Bucket{Name: name, Region: bf.Region, Created: bf.Created}, nil
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
	if err := b.loadLocked(); err != nil {
		return err
	}
	if len(b.keys) > 0 {
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
	dir := d.bucketDir(name)
	if _, err := os.Stat(filepath.Join(dir, "bucket.json")); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("bucket %s: %w", name, ErrNoSuchBucket)
		}
		return nil, err
	}
	b := &bucket{name: name, dir: dir}
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

// loadLocked builds the index from the object files, once.
func (b *bucket) loadLocked() error {
	if b.loaded {
		return nil
	}
	objs := map[string]*entry{}
	err := filepath.WalkDir(filepath.Join(b.dir, "obj"), func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		o, err := readTrailer(f)
		f.Close()
		if err != nil || b.objectPath(o.Key) != p {
			return nil // not an object file; never served
		}
		objs[o.Key] = &entry{size: o.Size, etag: o.ETag, modified: o.Modified}
		return nil
	})
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("bucket %s: %w", b.name, ErrNoSuchBucket)
		}
		return fmt.Errorf("index bucket %s: %w", b.name, err)
	}
	b.keys = make([]string, 0, len(objs))
	for k := range objs {
		b.keys = append(b.keys, k)
	}
	slices.Sort(b.keys)
	b.objs, b.loaded = objs, true
	return nil
}

func (b *bucket) indexPutLocked(o *Object) {
	if !b.loaded {
		return
	}
	e := &entry{size: o.Size, etag: o.ETag, modified: o.Modified}
	if _, ok := b.objs[o.Key]; !ok {
		i := sort.SearchStrings(b.keys, o.Key)
		b.keys = slices.Insert(b.keys, i, o.Key)
	}
	b.objs[o.Key] = e
}

func (b *bucket) indexDeleteLocked(key string) {
	if !b.loaded {
		return
	}
	if _, ok := b.objs[key]; !ok {
		return
	}
	delete(b.objs, key)
	i := sort.SearchStrings(b.keys, key)
	if i < len(b.keys) && b.keys[i] == key {
		b.keys = slices.Delete(b.keys, i, i+1)
	}
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 1<<20); return &b }}

// copyBody copies r to w through a pooled 1 MiB buffer.
func copyBody(w io.Writer, r io.Reader) (int64, error) {
	buf := bufPool.Get().(*[]byte)
	defer bufPool.Put(buf)
	return io.CopyBuffer(w, r, *buf)
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
	n, err := copyBody(io.MultiWriter(f, h), r)
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
	if err := d.commit(b, f, &obj); err != nil {
		return Object{}, err
	}
	return obj, nil
}

func nonEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

// finish appends the trailer to a file holding an object's bytes, syncs
// and closes it.
func finish(f *os.File, o *Object) error {
	meta, err := json.Marshal(o)
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

// commit finishes f and renames it into place as the object o.
func (d *Disk) commit(b *bucket, f *os.File, o *Object) error {
	if err := finish(f, o); err != nil {
		return err
	}
	dst := b.objectPath(o.Key)
	b.mu.Lock()
	if b.gone {
		b.mu.Unlock()
		return fmt.Errorf("bucket %s: %w", b.name, ErrNoSuchBucket)
	}
	err := os.Rename(f.Name(), dst)
	if errors.Is(err, fs.ErrNotExist) {
		if err = os.MkdirAll(filepath.Dir(dst), 0o700); err == nil {
			err = os.Rename(f.Name(), dst)
		}
	}
	if err == nil {
		b.indexPutLocked(o)
	}
	b.mu.Unlock()
	if err != nil {
		return err
	}
	return syncDir(filepath.Dir(dst))
}

// readTrailer reads the object description at the end of f.
func readTrailer(f *os.File) (Object, error) {
	fi, err := f.Stat()
	if err != nil {
		return Object{}, err
	}
	size := fi.Size()
	var foot [trailerLen]byte
	if size < trailerLen {
		return Object{}, errCorrupt
	}
	if _, err := f.ReadAt(foot[:], size-trailerLen); err != nil {
		return Object{}, err
	}
	if string(foot[4:]) != magic {
		return Object{}, errCorrupt
	}
	n := int64(binary.LittleEndian.Uint32(foot[:4]))
	if n > maxMetaJSON || n > size-trailerLen {
		return Object{}, errCorrupt
	}
	buf := make([]byte, n)
	if _, err := f.ReadAt(buf, size-trailerLen-n); err != nil {
		return Object{}, err
	}
	var o Object
	if err := json.Unmarshal(buf, &o); err != nil || o.Size != size-trailerLen-n {
		return Object{}, errCorrupt
	}
	return o, nil
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

// Open opens an object for reading.
func (d *Disk) Open(ctx context.Context, bucketName, key string) (Reader, error) {
	b, err := d.bucket(bucketName)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(b.objectPath(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("object %s: %w", key, ErrNoSuchKey)
	}
	if err != nil {
		return nil, err
	}
	o, err := readTrailer(f)
	if err == nil && o.Key != key {
		err = errCorrupt
	}
	if err != nil {
		f.Close()
		if errors.Is(err, errCorrupt) {
			return nil, fmt.Errorf("object %s: %w", key, ErrNoSuchKey)
		}
		return nil, err
	}
	return &diskReader{f: f, obj: o}, nil
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

// Delete removes an object. Removing one that does not exist is not an
// error, as in S3.
func (d *Disk) Delete(ctx context.Context, bucketName, key string) error {
	b, err := d.bucket(bucketName)
	if err != nil {
		return err
	}
	p := b.objectPath(key)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.gone {
		return fmt.Errorf("bucket %s: %w", b.name, ErrNoSuchBucket)
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	b.indexDeleteLocked(key)
	return nil
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
		err := b.loadLocked()
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
		e := b.objs[k]
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
