package blob_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/codeyard/codeyard/internal/blob"
)

func put(t testing.TB, d *blob.Disk, key, body string) blob.Object {
	t.Helper()
	o, err := d.Put(context.Background(), "bkt", key, strings.NewReader(body), blob.PutOptions{})
	if err != nil {
		t.Fatalf("Put(%s): %v", key, err)
	}
	return o
}

func readVersion(t testing.TB, d *blob.Disk, key, id string) (string, blob.Object, error) {
	t.Helper()
	r, err := d.OpenVersion(context.Background(), "bkt", key, id)
	if err != nil {
		return "", blob.Object{}, err
	}
	defer r.Close()
	var b bytes.Buffer
	if _, err := r.WriteRange(&b, 0, r.Object().Size); err != nil {
		t.Fatalf("WriteRange(%s@%s): %v", key, id, err)
	}
	return b.String(), r.Object(), nil
}

// versions lists the versions of the bucket as key@id(+ for the latest,
// x for a delete marker).
func versions(t testing.TB, d *blob.Disk, q blob.VersionQuery) []string {
	t.Helper()
	res, err := d.ListVersions(context.Background(), "bkt", q)
	if err != nil {
		t.Fatalf("ListVersions: %v", err)
	}
	var out []string
	for _, v := range res.Versions {
		s := v.Key + "@" + v.VersionID
		if v.IsLatest {
			s += "+"
		}
		if v.DeleteMarker {
			s += "x"
		}
		out = append(out, s)
	}
	return out
}

func TestDiskVersions(t *testing.T) {
	t.Parallel()
	d, dir := openDisk(t)
	ctx := t.Context()
	if st, err := d.Versioning(ctx, "bkt"); err != nil || st != "" {
		t.Fatalf("Versioning of a new bucket = %q, %v", st, err)
	}
	if o := put(t, d, "k", "legacy"); o.VersionID != "" {
		t.Errorf("Put in an unversioned bucket: version %q", o.VersionID)
	}
	if err := d.SetVersioning(ctx, "bkt", "On"); !errors.Is(err, blob.ErrInvalidState) {
		t.Errorf("SetVersioning(On) = %v", err)
	}
	if err := d.SetVersioning(ctx, "bkt", blob.VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	v1 := put(t, d, "k", "one").VersionID
	v2 := put(t, d, "k", "two").VersionID
	if blob.CheckVersionID(v1) != nil || v1 == v2 || v1 == blob.NullVersion {
		t.Fatalf("version ids %q, %q", v1, v2)
	}
	for id, want := range map[string]string{"": "two", v1: "one", v2: "two", blob.NullVersion: "legacy"} {
		got, o, err := readVersion(t, d, "k", id)
		if err != nil || got != want {
			t.Errorf("OpenVersion(k, %q) = %q, %v; want %q", id, got, err, want)
		}
		if id != "" && o.VersionID != id {
			t.Errorf("OpenVersion(k, %q): VersionID %q", id, o.VersionID)
		}
	}
	missing := "0000000000000001" + strings.Repeat("a", 16)
	if _, _, err := readVersion(t, d, "k", missing); !errors.Is(err, blob.ErrNoSuchVersion) {
		t.Errorf("OpenVersion(missing) = %v", err)
	}
	if _, _, err := readVersion(t, d, "k", "bogus"); !errors.Is(err, blob.ErrInvalidVersion) {
		t.Errorf("OpenVersion(bogus) = %v", err)
	}
	del, err := d.DeleteVersion(ctx, "bkt", "k", "")
	if err != nil || !del.DeleteMarker || blob.CheckVersionID(del.VersionID) != nil || del.VersionID == blob.NullVersion {
		t.Fatalf("DeleteVersion(k) = %+v, %v", del, err)
	}
	var me *blob.MarkerError
	if _, _, err := readVersion(t, d, "k", ""); !errors.Is(err, blob.ErrNoSuchKey) || !errors.As(err, &me) || me.VersionID != del.VersionID {
		t.Errorf("Open after a delete marker = %v", err)
	}
	if _, _, err := readVersion(t, d, "k", del.VersionID); !errors.Is(err, blob.ErrDeleteMarker) {
		t.Errorf("OpenVersion(marker) = %v", err)
	}
	if res, _ := d.List(ctx, "bkt", blob.ListQuery{}); len(res.Objects) != 0 {
		t.Errorf("List shows a deleted key: %+v", res)
	}
	want := []string{"k@" + del.VersionID + "+x", "k@" + v2, "k@" + v1, "k@null"}
	if got := versions(t, d, blob.VersionQuery{}); !slices.Equal(got, want) {
		t.Errorf("ListVersions = %v, want %v", got, want)
	}
	if err := d.DeleteBucket(ctx, "bkt"); !errors.Is(err, blob.ErrBucketNotEmpty) {
		t.Errorf("DeleteBucket with versions = %v", err)
	}

	// Removing the marker brings back the version before it; removing a
	// version for good leaves the others.
	if o, err := d.DeleteVersion(ctx, "bkt", "k", del.VersionID); err != nil || !o.DeleteMarker || o.VersionID != del.VersionID {
		t.Errorf("DeleteVersion(marker) = %+v, %v", o, err)
	}
	if got, _ := read(t, d, "k"); got != "two" {
		t.Errorf("after removing the marker: %q", got)
	}
	if _, err := d.DeleteVersion(ctx, "bkt", "k", v2); err != nil {
		t.Fatal(err)
	}
	if got, _ := read(t, d, "k"); got != "one" {
		t.Errorf("after removing the latest: %q", got)
	}

	// Suspended: writes replace the null version, and become the latest.
	if err := d.SetVersioning(ctx, "bkt", blob.VersioningSuspended); err != nil {
		t.Fatal(err)
	}
	if o := put(t, d, "k", "three"); o.VersionID != blob.NullVersion {
		t.Errorf("Put while suspended: version %q", o.VersionID)
	}
	want = []string{"k@null+", "k@" + v1}
	if got := versions(t, d, blob.VersionQuery{}); !slices.Equal(got, want) {
		t.Errorf("ListVersions while suspended = %v, want %v", got, want)
	}
	if o, err := d.DeleteVersion(ctx, "bkt", "k", ""); err != nil || o.VersionID != blob.NullVersion || !o.DeleteMarker {
		t.Errorf("DeleteVersion while suspended = %+v, %v", o, err)
	}
	want = []string{"k@null+x", "k@" + v1}
	if got := versions(t, d, blob.VersionQuery{}); !slices.Equal(got, want) {
		t.Errorf("ListVersions after a suspended delete = %v, want %v", got, want)
	}

	// A restart finds the state and every version as they were.
	if err := d.SetVersioning(ctx, "bkt", blob.VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	v4 := put(t, d, "k", "four").VersionID
	complete(t, d, "big", map[int][]byte{1: pattern(1, blob.MinPartSize), 2: pattern(2, 10)}, 1, 2)
	bigV := versions(t, d, blob.VersionQuery{Prefix: "big"})
	os.WriteFile(filepath.Join(dir, "tmp", "marker-leftover"), []byte("half"), 0o600)
	d2, err := blob.OpenDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st, _ := d2.Versioning(ctx, "bkt"); st != blob.VersioningEnabled {
		t.Errorf("Versioning after reopen = %q", st)
	}
	want = append(bigV, "k@"+v4+"+", "k@nullx", "k@"+v1)
	if got := versions(t, d2, blob.VersionQuery{}); !slices.Equal(got, want) {
		t.Errorf("ListVersions after reopen = %v, want %v", got, want)
	}
	if got, _ := read(t, d2, "k"); got != "four" {
		t.Errorf("after reopen: %q", got)
	}
	if got, _, err := readVersion(t, d2, "k", v1); err != nil || got != "one" {
		t.Errorf("OpenVersion(v1) after reopen = %q, %v", got, err)
	}
	v5 := put(t, d2, "k", "five").VersionID
	if v5 <= v4 {
		t.Errorf("a version after reopen sorts before the one before it: %s <= %s", v5, v4)
	}
	for _, v := range versions(t, d2, blob.VersionQuery{}) {
		key, id, _ := strings.Cut(strings.TrimRight(v, "+x"), "@")
		if _, err := d2.DeleteVersion(ctx, "bkt", key, id); err != nil {
			t.Fatal(err)
		}
	}
	if got := versions(t, d2, blob.VersionQuery{}); len(got) != 0 {
		t.Errorf("versions left: %v", got)
	}
	if dirs := dataDirs(t, dir); len(dirs) != 0 {
		t.Errorf("data directories left: %v", dirs)
	}
	if err := d2.DeleteBucket(ctx, "bkt"); err != nil {
		t.Errorf("DeleteBucket once empty: %v", err)
	}
}

// TestDiskVersionsLegacy opens a store whose objects were written before
// versioning: they are the null versions.
func TestDiskVersionsLegacy(t *testing.T) {
	t.Parallel()
	d, dir := openDisk(t)
	ctx := t.Context()
	put(t, d, "a", "old a")
	put(t, d, "b", "old b")
	d2, err := blob.OpenDisk(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := versions(t, d2, blob.VersionQuery{}); !slices.Equal(got, []string{"a@null+", "b@null+"}) {
		t.Errorf("ListVersions of an unversioned bucket = %v", got)
	}
	if _, err := d2.DeleteVersion(ctx, "bkt", "b", ""); err != nil {
		t.Fatal(err)
	}
	if got := versions(t, d2, blob.VersionQuery{}); !slices.Equal(got, []string{"a@null+"}) {
		t.Errorf("an unversioned delete left %v", got)
	}
	if err := d2.SetVersioning(ctx, "bkt", blob.VersioningEnabled); err != nil {
		t.Fatal(err)
	}
	v := put(t, d2, "a", "new a").VersionID
	if got, _ := read(t, d2, "a"); got != "new a" {
		t.Errorf("latest = %q", got)
	}
	if got, o, _ := readVersion(t, d2, "a", blob.NullVersion); got != "old a" || o.VersionID != blob.NullVersion {
		t.Errorf("null version = %q, %+v", got, o)
	}
	if got := versions(t, d2, blob.VersionQuery{}); !slices.Equal(got, []string{"a@" + v + "+", "a@null"}) {
		t.Errorf("ListVersions = %v", got)
	}
}

func TestDiskListVersionsPages(t *testing.T) {
	t.Parallel()
	d, _ := openDisk(t)
	ctx := t.Context()
	d.SetVersioning(ctx, "bkt", blob.VersioningEnabled)
	for _, k := range []string{"a", "b/1", "b/2", "c", "c", "c", "d"} {
		put(t, d, k, k)
	}
	d.DeleteVersion(ctx, "bkt", "d", "")
	all := versions(t, d, blob.VersionQuery{})
	if len(all) != 8 {
		t.Fatalf("ListVersions = %v", all)
	}
	for _, delim := range []string{"", "/"} {
		for max := 1; max <= 9; max++ {
			var got []string
			q := blob.VersionQuery{Delimiter: delim, Max: max}
			for pages := 0; ; pages++ {
				if pages > 20 {
					t.Fatalf("delimiter %q max %d: no end", delim, max)
				}
				res, err := d.ListVersions(ctx, "bkt", q)
				if err != nil {
					t.Fatal(err)
				}
				if len(res.Versions)+len(res.Prefixes) > max {
					t.Fatalf("page of %d > %d", len(res.Versions)+len(res.Prefixes), max)
				}
				for _, v := range res.Versions {
					got = append(got, v.Key+"@"+v.VersionID)
				}
				for _, p := range res.Prefixes {
					got = append(got, p)
				}
				if !res.Truncated {
					break
				}
				q.KeyMarker, q.VersionIDMarker = res.NextKeyMarker, res.NextVersionIDMarker
			}
			var want []string
			for _, v := range all {
				v = strings.TrimRight(v, "+x")
				if delim != "" && strings.HasPrefix(v, "b/") {
					if !slices.Contains(want, "b/") {
						want = append(want, "b/")
					}
					continue
				}
				want = append(want, v)
			}
			// A page shows its versions and prefixes apart: order by key.
			byKey := func(a, b string) int { return strings.Compare(a[:1], b[:1]) }
			slices.SortStableFunc(want, byKey)
			slices.SortStableFunc(got, byKey)
			if !slices.Equal(got, want) {
				t.Errorf("delimiter %q max %d: pages = %v, want %v", delim, max, got, want)
			}
		}
	}
}

func TestCheckVersionID(t *testing.T) {
	t.Parallel()
	for id, ok := range map[string]bool{
		"null":                              true,
		"0000000000000001ffffffffffffffff":  true,
		"187b0f3c2a1e4d5f0123456789abcdef":  true,
		"":                                  false,
		"Null":                              false,
		"0000000000000000ffffffffffffffff":  false, // sequence 0
		"187B0F3C2A1E4D5F0123456789ABCDEF":  false,
		"187b0f3c2a1e4d5f0123456789abcde":   false,
		"187b0f3c2a1e4d5f0123456789abcdef0": false,
		"../../../../etc/passwdxxxxxxxxxx":  false,
		"f000000000000000ffffffffffffffff":  false, // beyond int64
		"3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY+MTRCxf3vjVBH40Nr8X8gdRQBpUMLUo": false,
	} {
		if err := blob.CheckVersionID(id); (err == nil) != ok {
			t.Errorf("CheckVersionID(%q) = %v", id, err)
		}
	}
}

// FuzzCheckVersionID: an id CheckVersionID lets through is "null" or 32
// hex digits, so it names a file of its own and no path.
func FuzzCheckVersionID(f *testing.F) {
	for _, s := range []string{"null", "0000000000000001ffffffffffffffff", "", "..", "a/b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if blob.CheckVersionID(id) != nil {
			return
		}
		if id != "null" && (len(id) != 32 || strings.ContainsAny(id, "/\\.\x00") || strings.ToLower(id) != id) {
			t.Fatalf("CheckVersionID accepted %q", id)
		}
	})
}

// TestDiskVersionsConcurrent writes, reads, lists and deletes versions of
// one key at once: every write is a version of its own, and every read
// sees one version whole.
func TestDiskVersionsConcurrent(t *testing.T) {
	t.Parallel()
	d, _ := openDisk(t)
	ctx := t.Context()
	d.SetVersioning(ctx, "bkt", blob.VersioningEnabled)
	body := func(i int) string { return strings.Repeat(string(rune('a'+i%26)), 1000+i) }
	var wg sync.WaitGroup
	for i := range 16 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			if _, err := d.Put(ctx, "bkt", "k", strings.NewReader(body(i)), blob.PutOptions{}); err != nil {
				t.Error(err)
			}
			if i%4 == 0 {
				d.DeleteVersion(ctx, "bkt", "k", "")
			}
		}()
		go func() {
			defer wg.Done()
			got, err := read(t, d, "k")
			if err == nil && (len(got) < 1000 || got != body(len(got)-1000)) {
				t.Errorf("read a torn version of %d bytes", len(got))
			}
			d.ListVersions(ctx, "bkt", blob.VersionQuery{})
		}()
	}
	wg.Wait()
	res, err := d.ListVersions(ctx, "bkt", blob.VersionQuery{})
	if err != nil || len(res.Versions) != 20 {
		t.Errorf("ListVersions = %d versions, %v; want 16 and 4 markers", len(res.Versions), err)
	}
}
