package blob_test

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/codeyard/codeyard/internal/blob"
)

// pattern returns n bytes that differ from those of another seed, and
// from one offset to the next.
func pattern(seed, n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(seed*131 + i*7 + i>>9)
	}
	return b
}

// upload stores key as a multipart upload of the parts, by number, and
// returns the bytes the object holds and its refs.
func upload(t testing.TB, d *blob.Disk, key string, parts map[int][]byte, listed ...int) (string, []byte, []blob.PartRef) {
	t.Helper()
	ctx := context.Background()
	id, err := d.CreateUpload(ctx, "bkt", key, blob.PutOptions{ContentType: "x/y", Meta: map[string]string{"m": key}})
	if err != nil {
		t.Fatal(err)
	}
	etags := map[int]string{}
	for n, data := range parts {
		p, err := d.PutPart(ctx, "bkt", key, id, n, bytes.NewReader(data), nil)
		if err != nil {
			t.Fatalf("PutPart(%d): %v", n, err)
		}
		etags[n] = p.ETag
	}
	var want []byte
	var refs []blob.PartRef
	for _, n := range listed {
		want = append(want, parts[n]...)
		refs = append(refs, blob.PartRef{Number: n, ETag: `"` + etags[n] + `"`})
	}
	return id, want, refs
}

// complete uploads and completes key; the object holds the listed parts.
func complete(t testing.TB, d *blob.Disk, key string, parts map[int][]byte, listed ...int) []byte {
	t.Helper()
	id, want, refs := upload(t, d, key, parts, listed...)
	if _, err := d.CompleteUpload(context.Background(), "bkt", key, id, refs); err != nil {
		t.Fatalf("CompleteUpload(%s): %v", key, err)
	}
	return want
}

// readAll reads an open object whole, with ReadAt.
func readAll(t testing.TB, r blob.Reader) []byte {
	t.Helper()
	data, err := io.ReadAll(io.NewSectionReader(r, 0, r.Object().Size))
	if err != nil {
		t.Fatalf("read %s: %v", r.Object().Key, err)
	}
	return data
}

// dataDirs lists the data directories of the bucket's completed uploads.
func dataDirs(t testing.TB, dir string) []string {
	t.Helper()
	var out []string
	fans, _ := os.ReadDir(filepath.Join(dir, "buckets", "bkt", "data"))
	for _, fan := range fans {
		ids, _ := os.ReadDir(filepath.Join(dir, "buckets", "bkt", "data", fan.Name()))
		for _, id := range ids {
			out = append(out, id.Name())
		}
	}
	return out
}

func TestDiskCompositeRanges(t *testing.T) {
	t.Parallel()
	d, dir := openDisk(t)
	ctx := t.Context()
	parts := map[int][]byte{
		1: pattern(1, blob.MinPartSize),
		3: pattern(3, blob.MinPartSize+3),
		4: pattern(4, 100), // uploaded, left out
		7: pattern(7, 7),
	}
	id, want, refs := upload(t, d, "big", parts, 1, 3, 7)
	o, err := d.CompleteUpload(ctx, "bkt", "big", id, refs)
	if err != nil {
		t.Fatal(err)
	}
	sums := md5.New()
	for _, n := range []int{1, 3, 7} {
		s := md5.Sum(parts[n])
		sums.Write(s[:])
	}
	wantETag := hex.EncodeToString(sums.Sum(nil)) + "-3"
	if o.Size != int64(len(want)) || o.ETag != wantETag || o.Parts != 3 || o.ContentType != "x/y" || o.Meta["m"] != "big" {
		t.Errorf("CompleteUpload = %+v; want size %d, ETag %s", o, len(want), wantETag)
	}

	// The bytes were written once: the object file holds a trailer, the
	// data directory the listed parts and nothing else.
	var objBytes, dataBytes int64
	var dataFiles []string
	filepath.WalkDir(filepath.Join(dir, "buckets", "bkt"), func(p string, de fs.DirEntry, err error) error {
		if err != nil || de.IsDir() {
			return err
		}
		fi, _ := de.Info()
		switch rel, _ := filepath.Rel(filepath.Join(dir, "buckets", "bkt"), p); {
		case strings.HasPrefix(rel, "obj"):
			objBytes += fi.Size()
		case strings.HasPrefix(rel, "data"):
			dataBytes += fi.Size()
			dataFiles = append(dataFiles, de.Name())
		}
		return nil
	})
	if objBytes > 4096 || dataBytes < o.Size || dataBytes > o.Size+3*4096 || strings.Join(dataFiles, " ") != "part.1 part.3 part.7" {
		t.Errorf("after CompleteUpload: %d bytes of object files, %d bytes in %v; want a trailer and the %d bytes of parts 1, 3 and 7",
			objBytes, dataBytes, dataFiles, o.Size)
	}

	r, err := d.Open(ctx, "bkt", "big")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := r.Object(); got.ETag != wantETag || got.Size != o.Size || got.Meta["m"] != "big" {
		t.Errorf("Open().Object() = %+v", got)
	}
	if got := readAll(t, r); !bytes.Equal(got, want) {
		t.Errorf("ReadAt of the whole object differs")
	}
	b1, b2 := int64(blob.MinPartSize), int64(2*blob.MinPartSize+3) // where parts 3 and 7 start
	size := o.Size
	for _, rg := range [][2]int64{
		{0, 0}, {0, 1}, {b1 - 1, 1}, {b1 - 1, 2}, {b1, 1}, {b1 - 10, 20}, {b2 - 1, 2}, {b2, 7}, {b2 - 3, 10},
		{b1 - 5, b2 - b1 + 10}, {0, size}, {1, size - 1}, {size - 1, 1}, {size, 0}, {b1 + 12345, 1 << 20},
	} {
		off, n := rg[0], rg[1]
		var buf bytes.Buffer
		k, err := r.WriteRange(&buf, off, n)
		if err != nil || k != n || !bytes.Equal(buf.Bytes(), want[off:off+n]) {
			t.Errorf("WriteRange(%d, %d) = %d, %v; bytes equal: %t", off, n, k, err, bytes.Equal(buf.Bytes(), want[off:off+n]))
		}
		p := make([]byte, n)
		k2, err := r.ReadAt(p, off)
		if err != nil || k2 != int(n) || !bytes.Equal(p, want[off:off+n]) {
			t.Errorf("ReadAt(%d bytes, %d) = %d, %v", n, off, k2, err)
		}
	}
	// Past the end, as io.ReaderAt says.
	p := make([]byte, 10)
	if k, err := r.ReadAt(p, size-4); k != 4 || err != io.EOF || !bytes.Equal(p[:4], want[size-4:]) {
		t.Errorf("ReadAt(10 bytes, size-4) = %d, %v; want 4, EOF", k, err)
	}
	if k, err := r.ReadAt(p, size); k != 0 || err != io.EOF {
		t.Errorf("ReadAt(size) = %d, %v; want 0, EOF", k, err)
	}
	if _, err := r.WriteRange(io.Discard, size-1, 2); err == nil {
		t.Errorf("WriteRange past the end succeeded")
	}
	res, err := d.List(ctx, "bkt", blob.ListQuery{})
	if err != nil || len(res.Objects) != 1 || res.Objects[0].Size != size || res.Objects[0].ETag != wantETag {
		t.Errorf("List = %+v, %v", res, err)
	}
	if st, err := d.Stat(ctx, "bkt", "big"); err != nil || st.Size != size || st.Parts != 3 {
		t.Errorf("Stat = %+v, %v", st, err)
	}
}

// TestDiskCompositeEmpty completes an upload of one empty part.
func TestDiskCompositeEmpty(t *testing.T) {
	t.Parallel()
	d, _ := openDisk(t)
	complete(t, d, "empty", map[int][]byte{1: nil}, 1)
	r, err := d.Open(t.Context(), "bkt", "empty")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if got := readAll(t, r); r.Object().Size != 0 || len(got) != 0 {
		t.Errorf("empty object: size %d, read %d bytes", r.Object().Size, len(got))
	}
	if n, err := r.WriteRange(io.Discard, 0, 0); n != 0 || err != nil {
		t.Errorf("WriteRange(0, 0) = %d, %v", n, err)
	}
}

func TestDiskCompositeReplaceAndDelete(t *testing.T) {
	t.Parallel()
	d, dir := openDisk(t)
	ctx := t.Context()
	first := complete(t, d, "k", map[int][]byte{1: pattern(1, blob.MinPartSize), 2: pattern(2, 1000)}, 1, 2)

	// A reader that opened the object keeps reading it after a plain Put
	// replaced it, from the part it had not opened yet too.
	r, err := d.Open(ctx, "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Put(ctx, "bkt", "k", strings.NewReader("plain"), blob.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if got, err := read(t, d, "k"); got != "plain" {
		t.Errorf("after Put, k = %q, %v", got, err)
	}
	if got := readAll(t, r); !bytes.Equal(got, first) {
		t.Errorf("the reader opened before Put read other bytes")
	}
	if n := len(dataDirs(t, dir)); n != 1 {
		t.Errorf("%d data directories while a reader has the replaced object open; want 1", n)
	}
	r.Close()
	if dirs := dataDirs(t, dir); len(dirs) != 0 {
		t.Errorf("data directories left once the replaced object's reader closed: %v", dirs)
	}

	// An upload replaces a plain object, and another upload that one.
	second := complete(t, d, "k", map[int][]byte{1: pattern(3, blob.MinPartSize), 2: pattern(4, 10)}, 1, 2)
	if got, _ := read(t, d, "k"); got != string(second) {
		t.Errorf("after the second upload, k differs")
	}
	third := complete(t, d, "k", map[int][]byte{5: pattern(5, 3)}, 5)
	if got, _ := read(t, d, "k"); got != string(third) {
		t.Errorf("after the third upload, k = %q", got)
	}
	if dirs := dataDirs(t, dir); len(dirs) != 1 {
		t.Errorf("data directories after replacing an upload by another: %v; want 1", dirs)
	}

	// Deleting: a reader keeps the parts until it closes.
	r, err = d.Open(ctx, "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, "bkt", "k"); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Open(ctx, "bkt", "k"); !errors.Is(err, blob.ErrNoSuchKey) {
		t.Errorf("Open after Delete = %v", err)
	}
	if got := readAll(t, r); !bytes.Equal(got, third) {
		t.Errorf("the reader opened before Delete read %q", got)
	}
	r.Close()
	r.Close() // a second Close is harmless
	if dirs := dataDirs(t, dir); len(dirs) != 0 {
		t.Errorf("data directories after Delete: %v", dirs)
	}
	if err := d.DeleteBucket(ctx, "bkt"); err != nil {
		t.Errorf("DeleteBucket after deleting the upload's object: %v", err)
	}
}

// TestDiskCompositeCopy copies an object kept as parts the way CopyObject
// does, reading it through.
func TestDiskCompositeCopy(t *testing.T) {
	t.Parallel()
	d, _ := openDisk(t)
	ctx := t.Context()
	want := complete(t, d, "src", map[int][]byte{1: pattern(1, blob.MinPartSize), 2: pattern(2, 5000)}, 1, 2)
	r, err := d.Open(ctx, "bkt", "src")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	o, err := d.Put(ctx, "bkt", "dst", io.NewSectionReader(r, 0, r.Object().Size), blob.PutOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sum := md5.Sum(want)
	if o.Size != int64(len(want)) || o.ETag != hex.EncodeToString(sum[:]) || o.Parts != 0 {
		t.Errorf("copy = %+v", o)
	}
	if got, _ := read(t, d, "dst"); got != string(want) {
		t.Errorf("the copy differs")
	}
	// A copy of part of it, as UploadPartCopy reads one.
	var buf bytes.Buffer
	if _, err := io.Copy(&buf, io.NewSectionReader(r, blob.MinPartSize-10, 20)); err != nil || !bytes.Equal(buf.Bytes(), want[blob.MinPartSize-10:blob.MinPartSize+10]) {
		t.Errorf("a section across the parts' boundary differs: %v", err)
	}
}

func TestDiskCompositeReopen(t *testing.T) {
	t.Parallel()
	d, dir := openDisk(t)
	ctx := t.Context()
	want := complete(t, d, "a", map[int][]byte{1: pattern(1, blob.MinPartSize), 2: pattern(2, 99)}, 1, 2)
	kept := dataDirs(t, dir)
	// What a crash can leave: the parts of an object replaced or deleted
	// but not yet removed, or of a CompleteUpload that had moved them and
	// not yet put the object file in place; and files being written.
	orphan := "0123456789abcdef0123456789abcdef"
	odir := filepath.Join(dir, "buckets", "bkt", "data", orphan[:2], orphan)
	if err := os.MkdirAll(odir, 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(odir, "part.1"), []byte("orphan"), 0o600)
	os.WriteFile(filepath.Join(dir, "tmp", "complete-leftover"), []byte("half"), 0o600)

	d2, err := blob.OpenDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(ents) != 0 {
		t.Errorf("OpenDisk left temporary files: %v", ents)
	}
	if got, err := read(t, d2, "a"); got != string(want) || err != nil {
		t.Errorf("after reopening, a differs: %v", err)
	}
	res, err := d2.List(ctx, "bkt", blob.ListQuery{})
	if err != nil || len(res.Objects) != 1 || res.Objects[0].Size != int64(len(want)) || !strings.HasSuffix(res.Objects[0].ETag, "-2") {
		t.Errorf("List after reopening = %+v, %v", res, err)
	}
	if dirs := dataDirs(t, dir); strings.Join(dirs, " ") != strings.Join(kept, " ") {
		t.Errorf("data directories after the first listing: %v; want %v", dirs, kept)
	}
	// With the index loaded, replacing and deleting still find the parts.
	if _, err := d2.Put(ctx, "bkt", "a", strings.NewReader("x"), blob.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if dirs := dataDirs(t, dir); len(dirs) != 0 {
		t.Errorf("data directories after replacing the object: %v", dirs)
	}
}

// TestDiskCompleteConcurrentGet reads an object over and over while an
// upload replaces it: each read sees the old object or the new one, whole.
func TestDiskCompleteConcurrentGet(t *testing.T) {
	t.Parallel()
	d, _ := openDisk(t)
	ctx := t.Context()
	old := complete(t, d, "k", map[int][]byte{1: pattern(1, blob.MinPartSize), 2: pattern(2, 64<<10)}, 1, 2)
	id, want, refs := upload(t, d, "k", map[int][]byte{1: pattern(3, blob.MinPartSize), 2: pattern(4, 32<<10)}, 1, 2)
	var done atomic.Bool
	var sawNew atomic.Int32
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for after := 0; after < 3; {
				if done.Load() {
					after++
				}
				r, err := d.Open(ctx, "bkt", "k")
				if err != nil {
					t.Error(err)
					return
				}
				var buf bytes.Buffer
				_, err = r.WriteRange(&buf, 0, r.Object().Size)
				r.Close()
				switch got := buf.Bytes(); {
				case err != nil:
					t.Error(err)
					return
				case bytes.Equal(got, want):
					sawNew.Add(1)
				case !bytes.Equal(got, old):
					t.Errorf("a read during CompleteUpload got %d bytes, neither the old object nor the new", len(got))
					return
				}
			}
		})
	}
	if _, err := d.CompleteUpload(ctx, "bkt", "k", id, refs); err != nil {
		t.Fatal(err)
	}
	done.Store(true)
	wg.Wait()
	if sawNew.Load() == 0 {
		t.Errorf("no read after CompleteUpload saw the new object")
	}
}

// TestDiskCompleteFailsHalfway fails a CompleteUpload once its parts have
// moved: the object it was to replace stays, and the upload can be
// completed again.
func TestDiskCompleteFailsHalfway(t *testing.T) {
	t.Parallel()
	d, dir := openDisk(t)
	ctx := t.Context()
	old := complete(t, d, "k", map[int][]byte{1: pattern(1, blob.MinPartSize), 2: pattern(2, 10)}, 1, 2)
	oldDirs := dataDirs(t, dir)
	id, want, refs := upload(t, d, "k", map[int][]byte{1: pattern(3, blob.MinPartSize), 2: pattern(4, 20)}, 1, 2)
	boom := errors.New("boom")
	var calls int
	blob.SetCompleteHook(d, func() error {
		calls++
		if got := dataDirs(t, dir); len(got) != 2 {
			t.Errorf("data directories before the object file goes into place: %v; want the old and the new", got)
		}
		return boom
	})
	if _, err := d.CompleteUpload(ctx, "bkt", "k", id, refs); !errors.Is(err, boom) || calls != 1 {
		t.Fatalf("CompleteUpload with a failing hook = %v (hook called %d times)", err, calls)
	}
	if got, err := read(t, d, "k"); got != string(old) {
		t.Errorf("after a failed CompleteUpload, k differs from the old object: %v", err)
	}
	if got := dataDirs(t, dir); strings.Join(got, " ") != strings.Join(oldDirs, " ") {
		t.Errorf("data directories after a failed CompleteUpload: %v; want %v", got, oldDirs)
	}
	if _, parts, err := d.ListParts(ctx, "bkt", "k", id); err != nil || len(parts) != 2 {
		t.Errorf("ListParts after a failed CompleteUpload = %v, %v; want the 2 parts", parts, err)
	}
	blob.SetCompleteHook(d, nil)
	if _, err := d.CompleteUpload(ctx, "bkt", "k", id, refs); err != nil {
		t.Fatalf("CompleteUpload again: %v", err)
	}
	if got, _ := read(t, d, "k"); got != string(want) {
		t.Errorf("after completing again, k differs from the new object")
	}
	if got := dataDirs(t, dir); len(got) != 1 || got[0] != id {
		t.Errorf("data directories after completing again: %v; want [%s]", got, id)
	}
	// A part replaced by another ETag fails the next upload before anything
	// moves, and so does a missing one.
	id2, _, refs2 := upload(t, d, "k", map[int][]byte{1: pattern(5, blob.MinPartSize), 2: pattern(6, 1)}, 1, 2)
	for _, bad := range [][]blob.PartRef{
		{refs2[0], {Number: 2, ETag: strconv.Quote(strings.Repeat("0", 32))}},
		{refs2[0], {Number: 3, ETag: refs2[1].ETag}},
	} {
		var pe *blob.PartError
		if _, err := d.CompleteUpload(ctx, "bkt", "k", id2, bad); !errors.As(err, &pe) {
			t.Errorf("CompleteUpload(%v) = %v; want a *PartError", bad, err)
		}
	}
	if got, _ := read(t, d, "k"); got != string(want) {
		t.Errorf("after refused CompleteUploads, k changed")
	}
}

// TestDeleteBucketUnderReader deletes a multipart object and then its
// bucket while a reader is half-way: the reader still reads the object
// whole, and its parts go when it closes.
func TestDeleteBucketUnderReader(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	d, err := blob.OpenDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.CreateBucket(ctx, "bkt", "r"); err != nil {
		t.Fatal(err)
	}
	want := complete(t, d, "k", map[int][]byte{1: pattern(1, blob.MinPartSize), 2: pattern(2, 1000)}, 1, 2)
	r, err := d.Open(ctx, "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadAt(make([]byte, 10), 0); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, "bkt", "k"); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteBucket(ctx, "bkt"); err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(want))
	if n, err := r.ReadAt(got, 0); err != nil || !bytes.Equal(got, want) {
		t.Errorf("reader after DeleteBucket: %d bytes, %v; want the object whole", n, err)
	}
	r.Close()
	left, _ := os.ReadDir(filepath.Join(dir, "tmp"))
	if len(left) != 0 {
		t.Errorf("after the reader closed, tmp holds %d entries, want none", len(left))
	}
}

// TestVersioningSwitchedOnUnderReaders switches versioning on while
// readers open an existing object: none of them is told it is missing.
func TestVersioningSwitchedOnUnderReaders(t *testing.T) {
	ctx := context.Background()
	d, err := blob.OpenDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 50 {
		name := "bkt" + strconv.Itoa(i)
		if err := d.CreateBucket(ctx, name, "r"); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Put(ctx, name, "k", bytes.NewReader([]byte("x")), blob.PutOptions{}); err != nil {
			t.Fatal(err)
		}
		var stop atomic.Bool
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Go(func() {
				for !stop.Load() {
					r, err := d.Open(ctx, name, "k")
					if err != nil {
						errs <- err
						return
					}
					r.Close()
				}
			})
		}
		if err := d.SetVersioning(ctx, name, blob.VersioningEnabled); err != nil {
			t.Fatal(err)
		}
		stop.Store(true)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("Open while versioning was switched on: %v", err)
		}
	}
}
