package blob

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

type uploadFile struct {
	Key       string     `json:"key"`
	Initiated time.Time  `json:"initiated"`
	Options   PutOptions `json:"options"`
}

func (b *bucket) uploadDir(id string) string { return filepath.Join(b.dir, "uploads", id) }

// validUploadID reports whether id is one CreateUpload could have made, so
// it names a directory of its own.
func validUploadID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil && strings.ToLower(id) == id
}

// CreateUpload starts a multipart upload of key and returns its id. The
// options are stored with the object when the upload completes; their
// Check is not kept.
func (d *Disk) CreateUpload(ctx context.Context, bucketName, key string, o PutOptions) (string, error) {
	if err := CheckKey(key); err != nil {
		return "", err
	}
	b, err := d.bucket(bucketName)
	if err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp(d.tmp, "upload-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	o.Headers, o.Meta = nonEmpty(o.Headers), nonEmpty(o.Meta)
	data, _ := json.Marshal(uploadFile{Key: key, Initiated: d.now().UTC().Truncate(time.Millisecond), Options: o})
	if err := writeFileSync(filepath.Join(tmp, "upload.json"), data); err != nil {
		return "", err
	}
	id := randomID()
	b.mu.RLock()
	defer b.mu.RUnlock()
	if b.gone {
		return "", fmt.Errorf("bucket %s: %w", b.name, ErrNoSuchBucket)
	}
	if err := os.Rename(tmp, b.uploadDir(id)); err != nil {
		return "", err
	}
	return id, syncDir(filepath.Join(b.dir, "uploads"))
}

// upload reads an upload of key; ErrNoSuchUpload when there is none.
func (d *Disk) upload(bucketName, key, id string) (*bucket, *uploadFile, error) {
	b, err := d.bucket(bucketName)
	if err != nil {
		return nil, nil, err
	}
	if !validUploadID(id) {
		return nil, nil, fmt.Errorf("upload %q: %w", id, ErrNoSuchUpload)
	}
	u, err := readUpload(b.uploadDir(id))
	if err != nil {
		return nil, nil, err
	}
	if u.Key != key {
		return nil, nil, fmt.Errorf("upload %s is not of key %s: %w", id, key, ErrNoSuchUpload)
	}
	return b, u, nil
}

func readUpload(dir string) (*uploadFile, error) {
	data, err := os.ReadFile(filepath.Join(dir, "upload.json"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("upload %s: %w", filepath.Base(dir), ErrNoSuchUpload)
	}
	if err != nil {
		return nil, err
	}
	var u uploadFile
	if err := json.Unmarshal(data, &u); err != nil {
		return nil, fmt.Errorf("upload %s: %w", filepath.Base(dir), err)
	}
	return &u, nil
}

// PutPart stores part n (1 to MaxParts) of an upload, replacing any part
// by that number. check, when set, runs before the part is kept, as
// PutOptions.Check does for objects.
func (d *Disk) PutPart(ctx context.Context, bucketName, key, id string, n int, r io.Reader, check func(o *Object, md5 []byte) error) (Part, error) {
	if n < 1 || n > MaxParts {
		return Part{}, fmt.Errorf("part number %d: %w", n, ErrInvalidPart)
	}
	b, _, err := d.upload(bucketName, key, id)
	if err != nil {
		return Part{}, err
	}
	f, err := os.CreateTemp(d.tmp, "part-")
	if err != nil {
		return Part{}, err
	}
	defer func() {
		f.Close()
		os.Remove(f.Name())
	}()
	h := md5.New()
	size, err := copyBody(f, h, r)
	if err != nil {
		return Part{}, err
	}
	sum := h.Sum(nil)
	obj := Object{Size: size, ETag: hex.EncodeToString(sum), Modified: d.now().UTC().Truncate(time.Millisecond)}
	if check != nil {
		if err := check(&obj, sum); err != nil {
			return Part{}, err
		}
	}
	if err := finish(f, &fileMeta{Object: obj}); err != nil {
		return Part{}, err
	}
	dir := b.uploadDir(id)
	if err := os.Rename(f.Name(), filepath.Join(dir, "part."+strconv.Itoa(n))); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Part{}, fmt.Errorf("upload %s: %w", id, ErrNoSuchUpload) // aborted or completed meanwhile
		}
		return Part{}, err
	}
	if err := syncDir(dir); err != nil {
		return Part{}, err
	}
	return Part{Number: n, Size: size, ETag: obj.ETag, Modified: obj.Modified, Checksums: obj.Checksums}, nil
}

// ListParts returns an upload and its parts, by number.
func (d *Disk) ListParts(ctx context.Context, bucketName, key, id string) (Upload, []Part, error) {
	b, u, err := d.upload(bucketName, key, id)
	if err != nil {
		return Upload{}, nil, err
	}
	parts, err := readParts(b.uploadDir(id))
	if err != nil {
		return Upload{}, nil, err
	}
	return Upload{ID: id, Key: u.Key, Initiated: u.Initiated, Options: u.Options}, parts, nil
}

func readParts(dir string) ([]Part, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("upload %s: %w", filepath.Base(dir), ErrNoSuchUpload)
	}
	if err != nil {
		return nil, err
	}
	var parts []Part
	for _, e := range ents {
		s, ok := strings.CutPrefix(e.Name(), "part.")
		n, err := strconv.Atoi(s)
		if !ok || err != nil {
			continue
		}
		p, err := readPart(filepath.Join(dir, e.Name()))
		if err != nil {
			continue // replaced meanwhile
		}
		p.Number = n
		parts = append(parts, p)
	}
	slices.SortFunc(parts, func(a, b Part) int { return a.Number - b.Number })
	return parts, nil
}

func readPart(name string) (Part, error) {
	f, err := os.Open(name)
	if err != nil {
		return Part{}, err
	}
	defer f.Close()
	m, err := readTrailer(f)
	if err != nil || m.Data != "" {
		return Part{}, errCorrupt
	}
	return Part{Size: m.Size, ETag: m.ETag, Modified: m.Modified, Checksums: m.Checksums}, nil
}

// ListUploads returns a bucket's uploads in progress, by key and then by
// the time they started.
func (d *Disk) ListUploads(ctx context.Context, bucketName string) ([]Upload, error) {
	b, err := d.bucket(bucketName)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(filepath.Join(b.dir, "uploads"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("bucket %s: %w", bucketName, ErrNoSuchBucket)
	}
	if err != nil {
		return nil, err
	}
	var out []Upload
	for _, e := range ents {
		if !validUploadID(e.Name()) {
			continue
		}
		u, err := readUpload(b.uploadDir(e.Name()))
		if err != nil {
			continue // finished meanwhile
		}
		out = append(out, Upload{ID: e.Name(), Key: u.Key, Initiated: u.Initiated, Options: u.Options})
	}
	slices.SortFunc(out, func(a, b Upload) int {
		if c := strings.Compare(a.Key, b.Key); c != 0 {
			return c
		}
		return a.Initiated.Compare(b.Initiated)
	})
	return out, nil
}

// AbortUpload discards an upload and its parts.
func (d *Disk) AbortUpload(ctx context.Context, bucketName, key, id string) error {
	b, _, err := d.upload(bucketName, key, id)
	if err != nil {
		return err
	}
	trash, err := os.MkdirTemp(d.tmp, "aborted-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(trash)
	if err := os.Rename(b.uploadDir(id), filepath.Join(trash, "u")); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("upload %s: %w", id, ErrNoSuchUpload)
		}
		return err
	}
	return nil
}

// CompleteUpload makes the listed parts, in ascending order of number,
// the object. The parts stay in the files they were written to: the
// object file names them, and reads go from one to the next. Every part
// but the last must hold at least MinPartSize bytes; a *PartError says
// which part is missing, has another ETag, is out of order or too small.
// Once it succeeds the upload is gone.
func (d *Disk) CompleteUpload(ctx context.Context, bucketName, key, id string, refs []PartRef) (Object, error) {
	b, u, err := d.upload(bucketName, key, id)
	if err != nil {
		return Object{}, err
	}
	if len(refs) == 0 {
		return Object{}, &PartError{Err: ErrInvalidPart}
	}
	dir := b.uploadDir(id)
	parts, err := readParts(dir)
	if err != nil {
		return Object{}, err
	}
	byNum := map[int]Part{}
	for _, p := range parts {
		byNum[p.Number] = p
	}
	for i, ref := range refs {
		if i > 0 && ref.Number <= refs[i-1].Number {
			return Object{}, &PartError{Part: ref.Number, Err: ErrInvalidPartOrder}
		}
	}
	for i, ref := range refs {
		p, ok := byNum[ref.Number]
		if !ok || strings.Trim(ref.ETag, `"`) != p.ETag {
			return Object{}, &PartError{Part: ref.Number, Err: ErrInvalidPart}
		}
		if i < len(refs)-1 && p.Size < MinPartSize {
			return Object{}, &PartError{Part: ref.Number, Err: ErrPartTooSmall}
		}
	}
	// Claim the upload, so that a second Complete or an Abort finds none.
	claimed, err := os.MkdirTemp(d.tmp, "complete-")
	if err != nil {
		return Object{}, err
	}
	defer os.RemoveAll(claimed)
	work := filepath.Join(claimed, "u")
	if err := os.Rename(dir, work); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return Object{}, fmt.Errorf("upload %s: %w", id, ErrNoSuchUpload)
		}
		return Object{}, err
	}
	obj, err := d.complete(b, work, key, id, u, refs)
	if err != nil {
		os.Rename(work, dir) // give the upload back for a retry
		return Object{}, err
	}
	return obj, nil
}

// complete makes the object of the parts in work, the claimed upload
// directory: it moves the directory to data/ and then puts in place an
// object file that names the parts. On an error before the object is in
// place, work is as it was.
func (d *Disk) complete(b *bucket, work, key, id string, u *uploadFile, refs []PartRef) (Object, error) {
	m := &fileMeta{Data: id, Spans: make([]span, 0, len(refs))}
	keep := map[string]bool{}
	var size int64
	sums := md5.New()
	for _, ref := range refs {
		name := "part." + strconv.Itoa(ref.Number)
		pf, err := os.Open(filepath.Join(work, name))
		if err != nil {
			return Object{}, err
		}
		pm, err := readTrailer(pf)
		pf.Close()
		if err == nil && (pm.Data != "" || strings.Trim(ref.ETag, `"`) != pm.ETag) {
			err = &PartError{Part: ref.Number, Err: ErrInvalidPart} // replaced meanwhile
		}
		if err != nil {
			return Object{}, err
		}
		raw, _ := hex.DecodeString(pm.ETag)
		sums.Write(raw)
		size += pm.Size
		m.Spans = append(m.Spans, span{Part: ref.Number, Size: pm.Size})
		keep[name] = true
	}
	m.Object = Object{Key: key, Size: size, ETag: hex.EncodeToString(sums.Sum(nil)) + "-" + strconv.Itoa(len(refs)),
		Modified: d.now().UTC().Truncate(time.Millisecond), ContentType: u.Options.ContentType,
		Headers: u.Options.Headers, Meta: u.Options.Meta, Parts: len(refs)}
	vid, err := d.stamp(b, m)
	if err != nil {
		return Object{}, err
	}
	f, err := os.CreateTemp(d.tmp, "complete-")
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
	dir := b.dataDir(id)
	// Pinned, the directory is safe from a bucket's first listing, which
	// removes those no object file names, until the object file does.
	d.pin(dir)
	defer d.unpin(dir)
	err = mkdirDurable(filepath.Join(b.dir, "data"), filepath.Dir(dir))
	if err == nil {
		err = os.Rename(work, dir)
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("bucket %s: %w", b.name, ErrNoSuchBucket) // deleted meanwhile
		}
		return Object{}, err
	}
	// The parts are in place for good before an object file names them.
	err = syncDir(filepath.Dir(dir))
	if err == nil && d.completeHook != nil {
		err = d.completeHook()
	}
	placed := false
	if err == nil {
		placed, err = d.install(b, f.Name(), m)
	}
	if err != nil {
		if !placed {
			os.Rename(dir, work)
		}
		return Object{}, err
	}
	m.Object.VersionID = vid
	// Parts left out of the object, and the upload's description, go.
	if ents, err := os.ReadDir(dir); err == nil {
		for _, e := range ents {
			if !keep[e.Name()] {
				os.Remove(filepath.Join(dir, e.Name()))
			}
		}
	}
	return m.Object, nil
}

// mkdirDurable makes the directories dirs, each in the one before or in
// an existing one, that are missing, and syncs the directory above each it
// makes.
func mkdirDurable(dirs ...string) error {
	for _, dir := range dirs {
		err := os.Mkdir(dir, 0o700)
		if err == nil {
			err = syncDir(filepath.Dir(dir))
		}
		if err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
	}
	return nil
}
