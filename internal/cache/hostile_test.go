package cache_test

import (
	"archive/tar"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"

	"github.com/codeyard/codeyard/internal/cache"
)

const magicLine = "codeyard-cache/1\n"

// entryFile returns the file of the only entry of st.
func entryFile(t *testing.T, st *cache.Store) string {
	t.Helper()
	es, err := st.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 {
		t.Fatalf("store has %d entries, want 1", len(es))
	}
	return es[0].Path
}

// archive splits an entry file into its compressed archive and its header
// with length (doc.go describes the layout).
func archive(t *testing.T, data []byte) (zst, trailer []byte) {
	t.Helper()
	if !bytes.HasPrefix(data, []byte(magicLine)) {
		t.Fatalf("entry does not start with %q", magicLine)
	}
	hl := int(binary.BigEndian.Uint64(data[len(data)-8:]))
	return data[len(magicLine) : len(data)-8-hl], data[len(data)-8-hl:]
}

// tarEntry is an archive entry a hostile archive is made of.
type tarEntry struct {
	name     string
	typeflag byte
	mode     int64
	body     string
	link     string
}

// plant saves an entry for key with paths deps, then replaces its archive
// with entries.
func plant(t *testing.T, st *cache.Store, key string, entries []tarEntry) {
	t.Helper()
	src := dirs(t)
	writeTree(t, src.SourceDir, map[string]file{"deps/a": {Content: "a"}})
	if _, err := st.Save(t.Context(), key, "p", deps, src); err != nil {
		t.Fatal(err)
	}
	path := entryFile(t, st)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, trailer := archive(t, data)

	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	for _, e := range entries {
		hdr := &tar.Header{Name: e.name, Typeflag: e.typeflag, Mode: e.mode, Linkname: e.link, ModTime: time.Unix(1e9, 0)}
		if hdr.Mode == 0 {
			hdr.Mode = 0o644
		}
		if e.typeflag == tar.TypeReg {
			hdr.Size = int64(len(e.body))
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	enc, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	out := append([]byte(magicLine), enc.EncodeAll(tb.Bytes(), nil)...)
	out = append(out, trailer...)
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
}

// hostileTargets returns targets with some existing content, and an
// "outside" directory next to them that no restore may touch.
func hostileTargets(t *testing.T) (cache.Targets, string, map[string]file) {
	t.Helper()
	tg := dirs(t)
	existing := map[string]file{"deps/": {}, "deps/existing.txt": {Content: "keep"}, "other.txt": {Content: "keep"}}
	writeTree(t, tg.SourceDir, existing)
	outside := filepath.Join(filepath.Dir(tg.SourceDir), "outside")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	return tg, outside, normal(existing, false)
}

func TestHostileArchives(t *testing.T) {
	t.Parallel()
	reg := func(name, body string) tarEntry { return tarEntry{name: name, typeflag: tar.TypeReg, body: body} }
	link := func(name, target string) tarEntry {
		return tarEntry{name: name, typeflag: tar.TypeSymlink, link: target}
	}
	tests := []struct {
		name    string
		entries []tarEntry
		wantErr bool // ErrBadArchive, and nothing changed
		want    map[string]file
		skipped int
	}{
		{
			name:    "parent directory in a name",
			entries: []tarEntry{reg("src/deps/ok", "ok"), reg("src/../outside/evil", "x")},
			wantErr: true,
		},
		{
			name:    "parent directory inside a name",
			entries: []tarEntry{reg("src/deps/../../outside/evil", "x")},
			wantErr: true,
		},
		{
			name:    "absolute name",
			entries: []tarEntry{reg("/etc/evil", "x")},
			wantErr: true,
		},
		{
			name:    "absolute name after the prefix",
			entries: []tarEntry{reg("src//deps/evil", "x")},
			wantErr: true,
		},
		{
			name:    "absolute entry climbing out",
			entries: []tarEntry{reg("abs/../../etc/evil", "x")},
			wantErr: true,
		},
		{
			name:    "unknown prefix",
			entries: []tarEntry{reg("deps/evil", "x")},
			wantErr: true,
		},
		{
			name:    "write through an archived link",
			entries: []tarEntry{{name: "src/deps/sub/", typeflag: tar.TypeDir, mode: 0o755}, link("src/deps/l", "sub"), reg("src/deps/l/evil", "x")},
			wantErr: true,
		},
		{
			name:    "directory over an archived link",
			entries: []tarEntry{link("src/deps/l", "."), {name: "src/deps/l/", typeflag: tar.TypeDir, mode: 0o755}},
			wantErr: true,
		},
		{
			name:    "hard link",
			entries: []tarEntry{reg("src/deps/a", "a"), {name: "src/deps/h", typeflag: tar.TypeLink, link: "src/deps/a"}},
			wantErr: true,
		},
		{
			name:    "device",
			entries: []tarEntry{{name: "src/deps/null", typeflag: tar.TypeChar}},
			wantErr: true,
		},
		{
			name:    "fifo",
			entries: []tarEntry{{name: "src/deps/pipe", typeflag: tar.TypeFifo}},
			wantErr: true,
		},
		{
			name:    "file in place of a directory entry",
			entries: []tarEntry{{name: "src/deps/d/", typeflag: tar.TypeDir, mode: 0o755}, reg("src/deps/d", "x")},
			wantErr: true,
		},
		{
			name:    "link out, then a file below it",
			entries: []tarEntry{link("src/deps/out", "../../outside"), reg("src/deps/out/evil", "x")},
			want:    map[string]file{"deps/out/": {}, "deps/out/evil": {Mode: 0o644, Content: "x"}},
			skipped: 1,
		},
		{
			name:    "entry no cache path covers",
			entries: []tarEntry{reg("src/other.txt", "evil"), reg("src/deps/b", "b"), reg("abs/etc/passwd", "evil")},
			want:    map[string]file{"deps/b": {Mode: 0o644, Content: "b"}},
			skipped: 2,
		},
		{
			name:    "setuid, setgid and sticky bits are dropped",
			entries: []tarEntry{{name: "src/deps/su", typeflag: tar.TypeReg, mode: 0o7755, body: "#!"}},
			want:    map[string]file{"deps/su": {Mode: 0o755, Content: "#!"}},
		},
		{
			name:    "later entries win",
			entries: []tarEntry{reg("src/deps/a", "1"), link("src/deps/b", "a"), reg("src/deps/a", "2"), reg("src/deps/b", "3")},
			want:    map[string]file{"deps/a": {Mode: 0o644, Content: "2"}, "deps/b": {Mode: 0o644, Content: "3"}},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := newStore(t)
			key := fmt.Sprintf("k%d", i)
			plant(t, st, key, tt.entries)
			dst, outside, existing := hostileTargets(t)
			res, err := st.Restore(t.Context(), key, nil, "p", deps, dst)
			if tt.wantErr {
				if !errors.Is(err, cache.ErrBadArchive) {
					t.Fatalf("Restore = %v, want ErrBadArchive", err)
				}
			} else if err != nil {
				t.Fatalf("Restore: %v", err)
			}
			want := existing
			if !tt.wantErr {
				want = map[string]file{}
				for k, v := range existing {
					want[k] = v
				}
				for k, v := range tt.want {
					want[k] = v
				}
			}
			if diff := cmp.Diff(want, readTree(t, dst.SourceDir, false)); diff != "" {
				t.Errorf("source directory mismatch (-want +got):\n%s", diff)
			}
			if got := readTree(t, dst.Root, false); len(got) != 0 {
				t.Errorf("root has %v, want nothing", got)
			}
			if got := readTree(t, outside, false); len(got) != 0 {
				t.Errorf("outside directory has %v, want nothing", got)
			}
			if res.Skipped != tt.skipped {
				t.Errorf("Skipped = %d, want %d; log:\n%s", res.Skipped, tt.skipped, strings.Join(res.Lines, "\n"))
			}
		})
	}
}

// TestLinkInTargetPointingOut restores into a source tree whose cache path
// directory is a link out of it, as a hostile repository could check out.
func TestLinkInTargetPointingOut(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	saveContent(t, st, "k", "p", deps, "cached")
	dst := dirs(t)
	outside := filepath.Join(filepath.Dir(dst.SourceDir), "outside")
	if err := os.Mkdir(outside, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dst.SourceDir, "deps")); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Restore(t.Context(), "k", nil, "p", deps, dst); err == nil {
		t.Error("Restore through a link out of the source directory succeeded, want an error")
	}
	if got := readTree(t, outside, false); len(got) != 0 {
		t.Errorf("outside directory has %v, want nothing", got)
	}
	// Saving through it must not archive what is outside either.
	writeTree(t, outside, map[string]file{"secret": {Content: "s"}})
	if _, err := st.Save(t.Context(), "k2", "p", deps, dst); err == nil {
		t.Error("Save through a link out of the source directory succeeded, want an error")
	}
}

// TestCorruptEntries damages a real entry in several ways; each restore
// must fail with ErrBadArchive and leave the targets as they were.
func TestCorruptEntries(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	tree := map[string]file{}
	for i := range 60 {
		b := make([]byte, 20_000)
		for j := range b {
			b[j] = byte(rng.IntN(256))
		}
		tree[fmt.Sprintf("deps/d%d/f%02d.bin", i%4, i)] = file{Content: string(b)}
	}
	damages := []struct {
		name   string
		damage func(data []byte) []byte
	}{
		{"archive cut in half", func(data []byte) []byte {
			zst, trailer := archive(t, data)
			return append(append([]byte(magicLine), zst[:len(zst)/2]...), trailer...)
		}},
		{"archive cut short by one byte", func(data []byte) []byte {
			zst, trailer := archive(t, data)
			return append(append([]byte(magicLine), zst[:len(zst)-1]...), trailer...)
		}},
		{"byte flipped in the archive", func(data []byte) []byte {
			out := bytes.Clone(data)
			out[len(magicLine)+len(out)/2] ^= 0x55
			return out
		}},
		{"file truncated", func(data []byte) []byte { return data[:len(data)*2/3] }},
		{"not an entry", func([]byte) []byte { return []byte("PK\x03\x04 this is a zip file") }},
		{"empty", func([]byte) []byte { return nil }},
	}
	for _, d := range damages {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			st := newStore(t)
			src := dirs(t)
			writeTree(t, src.SourceDir, tree)
			if _, err := st.Save(t.Context(), "k", "p", deps, src); err != nil {
				t.Fatal(err)
			}
			path := entryFile(t, st)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, d.damage(data), 0o644); err != nil {
				t.Fatal(err)
			}
			dst, _, existing := hostileTargets(t)
			res, err := st.Restore(t.Context(), "k", nil, "p", deps, dst)
			if !errors.Is(err, cache.ErrBadArchive) {
				t.Fatalf("Restore = %v, %v; want ErrBadArchive", res.Outcome, err)
			}
			if diff := cmp.Diff(existing, readTree(t, dst.SourceDir, false)); diff != "" {
				t.Errorf("source directory changed (-want +got):\n%s", diff)
			}
		})
	}
}

// TestDamagedEntryIsListed checks that a damaged entry shows in List.
func TestDamagedEntryIsListed(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	saveContent(t, st, "k", "p", deps, "x")
	path := entryFile(t, st)
	if err := os.Truncate(path, 10); err != nil {
		t.Fatal(err)
	}
	es, err := st.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || !es[0].Damaged || es[0].Size != 10 {
		t.Errorf("List = %+v, want one damaged entry of 10 bytes", es)
	}
	if err := st.RemoveAll(); err != nil {
		t.Fatal(err)
	}
}
