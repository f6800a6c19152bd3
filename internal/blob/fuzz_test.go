package blob

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// naiveList is ListQuery's meaning, the slow way.
func naiveList(keys []string, q ListQuery) ListResult {
	max := q.Max
	if max <= 0 {
		max = 1000
	}
	type item struct {
		key    string
		prefix bool
	}
	var items []item
	seen := map[string]bool{}
	for _, k := range keys {
		if !strings.HasPrefix(k, q.Prefix) {
			continue
		}
		if q.Delimiter != "" {
			if j := strings.Index(k[len(q.Prefix):], q.Delimiter); j >= 0 {
				cp := k[:len(q.Prefix)+j+len(q.Delimiter)]
				if !seen[cp] && cp > q.After && !strings.HasPrefix(q.After, cp) {
					items = append(items, item{cp, true})
				}
				seen[cp] = true
				continue
			}
		}
		if k > q.After {
			items = append(items, item{k, false})
		}
	}
	var res ListResult
	for i, it := range items {
		if i == max {
			res.Truncated = true
			break
		}
		if it.prefix {
			res.Prefixes = append(res.Prefixes, it.key)
		} else {
			res.Objects = append(res.Objects, Object{Key: it.key})
		}
		res.Next = it.key
	}
	if !res.Truncated {
		res.Next = ""
	}
	return res
}

// FuzzList checks listKeys against naiveList, and that paging through
// with Next visits every item once.
func FuzzList(f *testing.F) {
	f.Add("a\nb/c\nb/d\nb\ne/f/g\n\xff", "", "/", "", 2)
	f.Add("a/b\na/c\nab\na-\na/\n", "a", "/", "a/", 1)
	f.Add("x//y\nx/\nx//\n", "x/", "//", "", 0)
	f.Fuzz(func(t *testing.T, keyList, prefix, delim, after string, max int) {
		keys := slices.Compact(slices.Sorted(slices.Values(strings.Split(keyList, "\n"))))
		max = max%5 + 1
		q := ListQuery{Prefix: prefix, Delimiter: delim, After: after, Max: max}
		obj := func(k string) Object { return Object{Key: k} }
		got, want := listKeys(keys, obj, q), naiveList(keys, q)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Fatalf("listKeys(%q, %+v) mismatch (-want +got):\n%s", keys, q, diff)
		}
		q.Max = 1000
		all := naiveList(keys, q)
		var paged ListResult
		q.Max = max
		for i := 0; ; i++ {
			page := listKeys(keys, obj, q)
			paged.Objects = append(paged.Objects, page.Objects...)
			paged.Prefixes = append(paged.Prefixes, page.Prefixes...)
			if !page.Truncated || i > len(keys) {
				break
			}
			q.After = page.Next
		}
		all.Next, all.Truncated = "", false
		if diff := cmp.Diff(all, paged); diff != "" {
			t.Fatalf("paging %q by %d mismatch (-want +got):\n%s", keys, max, diff)
		}
	})
}

// FuzzDiskKey stores an object under an arbitrary key: it reads back, is
// listed, and lands below the store as a hashed name whatever the key.
func FuzzDiskKey(f *testing.F) {
	for _, k := range []string{"a", "a/b", "../../x", "/", "nul\x00", strings.Repeat("é", 600), "\\..\\", "."} {
		f.Add(k)
	}
	dir := f.TempDir()
	d, err := OpenDisk(dir)
	if err != nil {
		f.Fatal(err)
	}
	ctx := context.Background()
	d.CreateBucket(ctx, "fuzz", "r")
	f.Fuzz(func(t *testing.T, key string) {
		_, err := d.Put(ctx, "fuzz", key, strings.NewReader(key), PutOptions{Meta: map[string]string{"k": key}})
		if CheckKey(key) != nil {
			if err == nil {
				t.Fatalf("Put(%q) succeeded for an invalid key", key)
			}
			return
		}
		if err != nil {
			t.Fatalf("Put(%q): %v", key, err)
		}
		r, err := d.Open(ctx, "fuzz", key)
		if err != nil {
			t.Fatalf("Open(%q): %v", key, err)
		}
		data, _ := io.ReadAll(io.NewSectionReader(r, 0, r.Object().Size))
		r.Close()
		if string(data) != key || r.Object().Meta["k"] != key {
			t.Fatalf("Open(%q) read %q", key, data)
		}
		res, _ := d.List(ctx, "fuzz", ListQuery{Prefix: key, Max: 1})
		if len(res.Objects) != 1 || res.Objects[0].Key != key {
			t.Fatalf("List(prefix %q) = %+v", key, res)
		}
		p := d.bucketDir("fuzz")
		filepath.WalkDir(p, func(path string, de fs.DirEntry, err error) error {
			if err == nil && !de.IsDir() && filepath.Dir(filepath.Dir(path)) == filepath.Join(p, "obj") && len(de.Name()) != 64 {
				t.Fatalf("object file %s is not a hash", path)
			}
			return nil
		})
		if err := d.Delete(ctx, "fuzz", key); err != nil {
			t.Fatal(err)
		}
		if _, err := d.Open(ctx, "fuzz", key); !errors.Is(err, ErrNoSuchKey) {
			t.Fatalf("Open(%q) after Delete = %v", key, err)
		}
	})
}
