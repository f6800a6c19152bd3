package blob

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// A bucket keeps the versions of a key, while its versioning is on or
// suspended, as files of the object file's format: the null version in
// obj/, where an unversioned bucket keeps its objects, and every other
// version, delete markers too, in ver/<xx>/<sha256(key)>/<version id>.
// Each goes into place with one rename and leaves with one removal, so a
// version is never seen in part. A version id is 16 hex digits of a
// sequence number, which orders the key's versions, and 16 random ones;
// the null version keeps its sequence number in its trailer.

// versionPath is where a version other than the null one lives.
func (b *bucket) versionPath(key, id string) string {
	sum := sha256.Sum256([]byte(key))
	h := hex.EncodeToString(sum[:])
	return filepath.Join(b.dir, "ver", h[:2], h, id)
}

// validVersionID reports whether id is one newVersionID could have made.
func validVersionID(id string) bool {
	if len(id) != 32 || versionSeq(id) <= 0 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}

func newVersionID(seq int64) string { return fmt.Sprintf("%016x", seq) + randomID()[:16] }

// versionSeq returns the sequence number a version id holds.
func versionSeq(id string) int64 {
	if len(id) < 16 {
		return 0
	}
	n, err := strconv.ParseUint(id[:16], 16, 63)
	if err != nil {
		return 0
	}
	return int64(n)
}

// stamp gives a new version m the version id and sequence number the
// bucket's versioning state calls for, and returns the id to report: ""
// in a bucket that never had versioning on.
func (d *Disk) stamp(b *bucket, m *fileMeta) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.state == "" {
		return "", nil
	}
	if err := b.loadLocked(d); err != nil {
		return "", err
	}
	b.lastSeq = max(d.now().UnixNano(), b.lastSeq+1)
	m.Seq = b.lastSeq
	if b.state == VersioningSuspended {
		return NullVersion, nil
	}
	m.VersionID = newVersionID(m.Seq)
	return m.VersionID, nil
}

// loadVersioned loads the index of a bucket that has versions other than
// the null one: only the index knows which is the latest.
func (d *Disk) loadVersioned(b *bucket) error {
	b.mu.RLock()
	ok := b.state == "" || b.loaded
	b.mu.RUnlock()
	if ok {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.loadLocked(d)
}

// rlockVersioned read-locks b with its index loaded if b keeps versions:
// versioning may be switched on between a check and the lock.
func (d *Disk) rlockVersioned(b *bucket) error {
	for {
		if err := d.loadVersioned(b); err != nil {
			return err
		}
		b.mu.RLock()
		if b.state == "" || b.loaded {
			return nil
		}
		b.mu.RUnlock()
	}
}

// findLocked returns a version of key, the latest when id is "", from the
// loaded index: fs.ErrNotExist when there is none, a *MarkerError for a
// delete marker.
func (b *bucket) findLocked(key, id string) (*entry, error) {
	vs := b.vers[key]
	var e *entry
	if id == "" && len(vs) > 0 {
		e = vs[0]
	}
	for _, v := range vs {
		if id != "" && v.id == id {
			e = v
		}
	}
	switch {
	case e == nil:
		return nil, fs.ErrNotExist
	case e.marker:
		return nil, &MarkerError{Key: key, VersionID: e.id, Modified: e.modified, Latest: id == ""}
	}
	return e, nil
}

// Versioning returns a bucket's versioning state: "", VersioningEnabled
// or VersioningSuspended.
func (d *Disk) Versioning(ctx context.Context, bucketName string) (string, error) {
	b, err := d.bucket(bucketName)
	if err != nil {
		return "", err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.gone {
		return "", fmt.Errorf("bucket %s: %w", b.name, ErrNoSuchBucket)
	}
	return b.state, nil
}

// SetVersioning turns a bucket's versioning on (VersioningEnabled) or
// suspends it (VersioningSuspended); it cannot be turned off again.
func (d *Disk) SetVersioning(ctx context.Context, bucketName, state string) error {
	if state != VersioningEnabled && state != VersioningSuspended {
		return fmt.Errorf("versioning %q: %w", state, ErrInvalidState)
	}
	b, err := d.bucket(bucketName)
	if err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.gone {
		return fmt.Errorf("bucket %s: %w", b.name, ErrNoSuchBucket)
	}
	bf, err := d.readBucketFile(b.name)
	if err != nil {
		return err
	}
	bf.Versioning = state
	data, _ := json.Marshal(bf)
	f, err := os.CreateTemp(d.tmp, "bucket-")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails harmlessly once renamed
	if _, err := f.Write(data); err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(f.Name(), filepath.Join(b.dir, "bucket.json")); err != nil {
		return err
	}
	if err := syncDir(b.dir); err != nil {
		return err
	}
	b.state = state
	return nil
}

// DeleteVersion deletes a version of an object for good, or with
// versionID "" deletes the object as S3's DeleteObject does: in a bucket
// that never had versioning on it removes the object; with versioning on
// it adds a delete marker as the latest version; suspended, it puts a
// delete marker in place of the null version. It returns the version
// removed or the marker added (Key, VersionID, DeleteMarker). Deleting
// what does not exist is not an error, as in S3.
func (d *Disk) DeleteVersion(ctx context.Context, bucketName, key, versionID string) (Object, error) {
	if versionID != "" {
		if err := CheckVersionID(versionID); err != nil {
			return Object{}, err
		}
	}
	b, err := d.bucket(bucketName)
	if err != nil {
		return Object{}, err
	}
	if err := d.loadVersioned(b); err != nil {
		return Object{}, err
	}
	b.mu.RLock()
	state := b.state
	b.mu.RUnlock()
	if versionID == "" && state != "" {
		return d.putMarker(b, key)
	}
	id, p := NullVersion, b.objectPath(key)
	if versionID != "" && versionID != NullVersion {
		id, p = versionID, b.versionPath(key, versionID)
	}
	b.mu.Lock()
	if b.gone {
		b.mu.Unlock()
		return Object{}, fmt.Errorf("bucket %s: %w", b.name, ErrNoSuchBucket)
	}
	var data string
	var marker bool
	if b.loaded {
		for _, e := range b.vers[key] {
			if e.id == id {
				data, marker = e.data, e.marker
			}
		}
	} else if m, err := readFile(p); err == nil && m.Key == key {
		data, marker = m.Data, m.DeleteMarker
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		b.mu.Unlock()
		return Object{}, err
	}
	b.indexDeleteLocked(key, id)
	// The parts go once the removal is durable, lest a crash bring back
	// a version file without them: the unlink is synced before its
	// directory may go, and that directory's removal before the release.
	synced := syncDir(filepath.Dir(p))
	if id != NullVersion && synced == nil && os.Remove(filepath.Dir(p)) == nil {
		// It was the key's last version; the next install makes it again.
		synced = syncDir(filepath.Dir(filepath.Dir(p)))
	}
	b.mu.Unlock()
	if data != "" {
		if synced != nil {
			return Object{}, synced
		}
		d.release(b.dataDir(data))
	}
	if versionID == "" {
		id = ""
	}
	return Object{Key: key, VersionID: id, DeleteMarker: marker}, nil
}

// putMarker adds a delete marker as the latest version of key.
func (d *Disk) putMarker(b *bucket, key string) (Object, error) {
	if err := CheckKey(key); err != nil {
		return Object{}, err
	}
	m := &fileMeta{Object: Object{Key: key, Modified: d.now().UTC().Truncate(time.Millisecond), DeleteMarker: true}}
	id, err := d.stamp(b, m)
	if err != nil {
		return Object{}, err
	}
	f, err := os.CreateTemp(d.tmp, "marker-")
	if err != nil {
		return Object{}, err
	}
	defer func() {
		f.Close()
		os.Remove(f.Name()) // fails harmlessly once renamed
	}()
	if err := finish(f, m); err != nil {
		return Object{}, err
	}
	if _, err := d.install(b, f.Name(), m); err != nil {
		return Object{}, err
	}
	return Object{Key: key, VersionID: id, DeleteMarker: true, Modified: m.Modified}, nil
}

// ListVersions returns one page of the versions of a bucket's objects,
// delete markers among them.
func (d *Disk) ListVersions(ctx context.Context, bucketName string, q VersionQuery) (VersionResult, error) {
	b, err := d.bucket(bucketName)
	if err != nil {
		return VersionResult{}, err
	}
	b.mu.Lock()
	err = b.loadLocked(d)
	b.mu.Unlock()
	if err != nil {
		return VersionResult{}, err
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.gone {
		return VersionResult{}, fmt.Errorf("bucket %s: %w", b.name, ErrNoSuchBucket)
	}
	return listVersions(b.vkeys, func(k string) (int, func(int) Object) {
		vs := b.vers[k]
		return len(vs), func(i int) Object {
			e := vs[i]
			return Object{Key: k, Size: e.size, ETag: e.etag, Modified: e.modified, VersionID: e.id, DeleteMarker: e.marker, IsLatest: i == 0}
		}
	}, q)
}

// listVersions pages through sorted keys and their versions as
// VersionQuery says.
func listVersions(keys []string, versions func(string) (int, func(int) Object), q VersionQuery) (VersionResult, error) {
	max := q.Max
	if max <= 0 {
		max = 1000
	}
	start := q.Prefix
	if q.KeyMarker > start {
		start = q.KeyMarker
	}
	i := sort.SearchStrings(keys, start)
	var res VersionResult
	n := 0
	full := func() bool {
		if n == max {
			res.Truncated = true
		}
		return res.Truncated
	}
	for i < len(keys) && strings.HasPrefix(keys[i], q.Prefix) && !res.Truncated {
		k := keys[i]
		if k < q.KeyMarker || (k == q.KeyMarker && q.VersionIDMarker == "") {
			i++
			continue
		}
		if q.Delimiter != "" {
			if j := strings.Index(k[len(q.Prefix):], q.Delimiter); j >= 0 {
				cp := k[:len(q.Prefix)+j+len(q.Delimiter)]
				if end := PrefixEnd(cp); end == "" {
					i = len(keys)
				} else {
					i = sort.SearchStrings(keys, end)
				}
				if q.KeyMarker != "" && strings.HasPrefix(q.KeyMarker, cp) {
					continue // the page before ended in this prefix
				}
				if full() {
					break
				}
				res.Prefixes = append(res.Prefixes, cp)
				res.NextKeyMarker, res.NextVersionIDMarker, n = cp, "", n+1
				continue
			}
		}
		// A key's versions are made one by one, as the page takes them:
		// a key may have many more than a page.
		count, at := versions(k)
		from := 0
		if k == q.KeyMarker {
			from = count // a marker that is no version of the key skips it
			for j := range count {
				if at(j).VersionID == q.VersionIDMarker {
					from = j + 1
					break
				}
			}
		}
		for j := from; j < count; j++ {
			if full() {
				break
			}
			v := at(j)
			res.Versions = append(res.Versions, v)
			res.NextKeyMarker, res.NextVersionIDMarker, n = k, v.VersionID, n+1
		}
		i++
	}
	if !res.Truncated {
		res.NextKeyMarker, res.NextVersionIDMarker = "", ""
	}
	return res, nil
}
