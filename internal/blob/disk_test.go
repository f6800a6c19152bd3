package blob_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"github.com/codeyard/codeyard/internal/blob"
)

func openDisk(t testing.TB) (*blob.Disk, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "store")
	d, err := blob.OpenDisk(dir)
	if err != nil {
		t.Fatalf("OpenDisk: %v", err)
	}
	if err := d.CreateBucket(context.Background(), "bkt", "us-east-1"); err != nil {
		t.Fatalf("CreateBucket: %v", err)
	}
	return d, dir
}

func read(t testing.TB, d *blob.Disk, key string) (string, error) {
	t.Helper()
	r, err := d.Open(context.Background(), "bkt", key)
	if err != nil {
		return "", err
	}
	defer r.Close()
	var b bytes.Buffer
	if _, err := r.WriteRange(&b, 0, r.Object().Size); err != nil {
		t.Fatalf("WriteRange(%q): %v", key, err)
	}
	return b.String(), nil
}

// hostileKeys are keys a naive key-to-path mapping gets wrong.
var hostileKeys = []string{
	"a", "a/b", "a/b/c", "..", "../..", "../../../etc/passwd", "/abs", "./.", "a/../../b", "nul\x00byte",
	"dir/", "//", "\\..\\..\\x", strings.Repeat("é", 512), strings.Repeat("/", 1024), "\u202eevil\u200d", "CON", "aux.txt",
	"x\ny\rz", "%2e%2e/%2f",
}

func TestDiskHostileKeys(t *testing.T) {
	t.Parallel()
	d, dir := openDisk(t)
	ctx := t.Context()
	for i, k := range hostileKeys {
		if _, err := d.Put(ctx, "bkt", k, strings.NewReader(k+"!"), blob.PutOptions{}); err != nil {
			t.Fatalf("Put(%q) #%d: %v", k, i, err)
		}
	}
	for _, k := range hostileKeys {
		if got, err := read(t, d, k); err != nil || got != k+"!" {
			t.Errorf("Open(%q) = %q, %v; want %q", k, got, err, k+"!")
		}
	}
	// Every file is below the store, named by a hash.
	filepath.WalkDir(filepath.Dir(dir), func(p string, de fs.DirEntry, err error) error {
		if err != nil {
			t.Fatal(err)
		}
		rel, _ := filepath.Rel(dir, p)
		if strings.HasPrefix(rel, "..") && p != filepath.Dir(dir) {
			t.Errorf("file outside the store: %s", p)
		}
		if !de.IsDir() && strings.Contains(rel, filepath.Join("bkt", "obj")) && len(de.Name()) != 64 {
			t.Errorf("object file not named by its hash: %s", rel)
		}
		return nil
	})
	res, err := d.List(ctx, "bkt", blob.ListQuery{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range res.Objects {
		got = append(got, o.Key)
	}
	want := slices.Clone(hostileKeys)
	slices.Sort(want)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("List() keys mismatch (-want +got):\n%s", diff)
	}
	for _, k := range []string{"", strings.Repeat("k", blob.MaxKeyLen+1), "\xff\xfe"} {
		if _, err := d.Put(ctx, "bkt", k, strings.NewReader("x"), blob.PutOptions{}); err == nil {
			t.Errorf("Put(%q) succeeded, want an error", k)
		}
	}
}

func TestDiskAtomicPut(t *testing.T) {
	t.Parallel()
	d, dir := openDisk(t)
	ctx := t.Context()
	if _, err := d.Put(ctx, "bkt", "k", strings.NewReader("old"), blob.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	refuse := errors.New("refused")
	for _, tt := range []struct {
		name string
		r    io.Reader
		o    blob.PutOptions
	}{
		{"body fails", io.MultiReader(strings.NewReader("new half"), iotest.ErrReader(io.ErrUnexpectedEOF)), blob.PutOptions{}},
		{"check fails", strings.NewReader("new"), blob.PutOptions{Check: func(*blob.Object, []byte) error { return refuse }}},
	} {
		if _, err := d.Put(ctx, "bkt", "k", tt.r, tt.o); err == nil {
			t.Errorf("Put(%s) succeeded", tt.name)
		}
		if got, err := read(t, d, "k"); got != "old" {
			t.Errorf("after Put(%s), k = %q, %v; want old", tt.name, got, err)
		}
	}
	// A reader that opened the old object keeps it whole.
	r, err := d.Open(ctx, "bkt", "k")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := d.Put(ctx, "bkt", "k", strings.NewReader("replacement"), blob.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	n, _ := r.ReadAt(buf, 0)
	if string(buf[:n]) != "old" {
		t.Errorf("open reader after replace read %q, want old", buf[:n])
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(ents) != 0 {
		t.Errorf("temporary files left: %v", ents)
	}
}

func TestDiskReopenRebuildsIndex(t *testing.T) {
	t.Parallel()
	d, dir := openDisk(t)
	ctx := t.Context()
	for _, k := range []string{"b", "a/1", "a/2", "c"} {
		d.Put(ctx, "bkt", k, strings.NewReader(k), blob.PutOptions{Meta: map[string]string{"k": k}})
	}
	d.Delete(ctx, "bkt", "c")
	os.WriteFile(filepath.Join(dir, "tmp", "put-leftover"), []byte("half"), 0o600)
	d2, err := blob.OpenDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	res, err := d2.List(ctx, "bkt", blob.ListQuery{Delimiter: "/"})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Objects) != 1 || res.Objects[0].Key != "b" || !slices.Equal(res.Prefixes, []string{"a/"}) {
		t.Errorf("List after reopen = %+v", res)
	}
	if ents, _ := os.ReadDir(filepath.Join(dir, "tmp")); len(ents) != 0 {
		t.Errorf("OpenDisk left temporary files: %v", ents)
	}
	o, err := d2.Stat(ctx, "bkt", "a/2")
	if err != nil || o.Meta["k"] != "a/2" {
		t.Errorf("Stat(a/2) = %+v, %v", o, err)
	}
}

func TestDiskBuckets(t *testing.T) {
	t.Parallel()
	d, _ := openDisk(t)
	ctx := t.Context()
	for name, want := range map[string]error{"bkt": blob.ErrBucketExists, "UP": blob.ErrInvalidBucket, "a..b": blob.ErrInvalidBucket, "192.168.1.1": blob.ErrInvalidBucket, "..": blob.ErrInvalidBucket, "ok-name.x": nil} {
		if err := d.CreateBucket(ctx, name, "r"); !errors.Is(err, want) {
			t.Errorf("CreateBucket(%q) = %v, want %v", name, err, want)
		}
	}
	d.Put(ctx, "bkt", "k", strings.NewReader("x"), blob.PutOptions{})
	if err := d.DeleteBucket(ctx, "bkt"); !errors.Is(err, blob.ErrBucketNotEmpty) {
		t.Errorf("DeleteBucket(full) = %v", err)
	}
	d.Delete(ctx, "bkt", "k")
	if err := d.DeleteBucket(ctx, "bkt"); err != nil {
		t.Errorf("DeleteBucket(empty) = %v", err)
	}
	if _, err := d.Put(ctx, "bkt", "k", strings.NewReader("x"), blob.PutOptions{}); !errors.Is(err, blob.ErrNoSuchBucket) {
		t.Errorf("Put after DeleteBucket = %v", err)
	}
	bs, _ := d.ListBuckets(ctx)
	if len(bs) != 1 || bs[0].Name != "ok-name.x" {
		t.Errorf("ListBuckets = %+v", bs)
	}
}

func TestDiskMultipart(t *testing.T) {
	t.Parallel()
	d, _ := openDisk(t)
	ctx := t.Context()
	id, err := d.CreateUpload(ctx, "bkt", "big", blob.PutOptions{ContentType: "x/y"})
	if err != nil {
		t.Fatal(err)
	}
	p1 := bytes.Repeat([]byte{1}, blob.MinPartSize)
	var refs []blob.PartRef
	for i, data := range [][]byte{p1, []byte("end")} {
		p, err := d.PutPart(ctx, "bkt", "big", id, i+1, bytes.NewReader(data), nil)
		if err != nil {
			t.Fatal(err)
		}
		refs = append(refs, blob.PartRef{Number: i + 1, ETag: `"` + p.ETag + `"`})
	}
	for _, tt := range []struct {
		name string
		key  string
		id   string
		want error
	}{
		{"other key", "other", id, blob.ErrNoSuchUpload},
		{"bad id", "big", "../../obj", blob.ErrNoSuchUpload},
	} {
		if _, err := d.CompleteUpload(ctx, "bkt", tt.key, tt.id, refs); !errors.Is(err, tt.want) {
			t.Errorf("CompleteUpload(%s) = %v, want %v", tt.name, err, tt.want)
		}
	}
	o, err := d.CompleteUpload(ctx, "bkt", "big", id, refs)
	if err != nil {
		t.Fatal(err)
	}
	if o.Size != int64(len(p1)+3) || o.Parts != 2 || !strings.HasSuffix(o.ETag, "-2") || o.ContentType != "x/y" {
		t.Errorf("CompleteUpload = %+v", o)
	}
	if ups, _ := d.ListUploads(ctx, "bkt"); len(ups) != 0 {
		t.Errorf("uploads after complete: %+v", ups)
	}
	if _, err := d.PutPart(ctx, "bkt", "big", id, 1, strings.NewReader("x"), nil); !errors.Is(err, blob.ErrNoSuchUpload) {
		t.Errorf("PutPart after complete = %v", err)
	}
}

func TestDiskConcurrentPuts(t *testing.T) {
	t.Parallel()
	d, _ := openDisk(t)
	ctx := t.Context()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 20 {
				body := strings.Repeat(string(rune('a'+i)), 1000+j)
				if _, err := d.Put(ctx, "bkt", "same", strings.NewReader(body), blob.PutOptions{}); err != nil {
					t.Error(err)
				}
				d.List(ctx, "bkt", blob.ListQuery{})
			}
		})
	}
	wg.Wait()
	got, err := read(t, d, "same")
	if err != nil || strings.Trim(got, got[:1]) != "" {
		t.Errorf("after concurrent puts, same = %d mixed bytes, %v", len(got), err)
	}
	res, _ := d.List(ctx, "bkt", blob.ListQuery{})
	if len(res.Objects) != 1 || res.Objects[0].Size != int64(len(got)) {
		t.Errorf("index after concurrent puts = %+v, file has %d bytes", res.Objects, len(got))
	}
}
