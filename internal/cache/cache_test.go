package cache_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/codeyard/codeyard/internal/cache"
)

var deps = []string{"deps/**/*"}

// saveContent saves deps/lib.txt with the given content under key.
func saveContent(t *testing.T, st *cache.Store, key, project string, paths []string, content string) cache.Result {
	t.Helper()
	src := dirs(t)
	writeTree(t, src.SourceDir, map[string]file{"deps/lib.txt": {Content: content}, "other/x.txt": {Content: content}})
	res, err := st.Save(t.Context(), key, project, paths, src)
	if err != nil {
		t.Fatalf("Save(%q, %q, %q): %v", key, project, paths, err)
	}
	return res
}

// restoredContent returns deps/lib.txt below dir, or "" if absent.
func restoredContent(t *testing.T, dir string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "deps", "lib.txt"))
	if errors.Is(err, os.ErrNotExist) {
		return ""
	}
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestRestoreLookup(t *testing.T) {
	t.Parallel()
	type save struct {
		key, project, content string
		paths                 []string
	}
	type want struct {
		Outcome     cache.Outcome
		Match       cache.Match
		Key         string
		FallbackKey string
		Content     string
	}
	tests := []struct {
		name      string
		saves     []save // in time order, a minute apart
		key       string
		fallbacks []string
		project   string
		paths     []string // deps if nil
		want      want
	}{
		{
			name:    "exact key",
			saves:   []save{{"npm-aaa", "p", "A", nil}, {"npm-aab", "p", "B", nil}},
			key:     "npm-aaa",
			project: "p",
			want:    want{cache.Hit, cache.Exact, "npm-aaa", "", "A"},
		},
		{
			name:    "unknown key without fallback keys",
			saves:   []save{{"npm-aaa", "p", "A", nil}},
			key:     "npm-bbb",
			project: "p",
			want:    want{Outcome: cache.Miss},
		},
		{
			name:      "fallback takes the newest entry with the prefix",
			saves:     []save{{"npm-aaa", "p", "A", nil}, {"npm-ccc", "p", "C", nil}, {"npm-bbb", "p", "B", nil}},
			key:       "npm-zzz",
			fallbacks: []string{"npm-"},
			project:   "p",
			want:      want{cache.Hit, cache.Fallback, "npm-bbb", "npm-", "B"},
		},
		{
			name:      "fallback keys are tried in order",
			saves:     []save{{"npm-1", "p", "N", nil}, {"yarn-1", "p", "Y", nil}},
			key:       "npm-2",
			fallbacks: []string{"npm-", "yarn-"},
			project:   "p",
			want:      want{cache.Hit, cache.Fallback, "npm-1", "npm-", "N"},
		},
		{
			name:      "a later fallback key when the first finds nothing",
			saves:     []save{{"npm-1", "p", "N", nil}, {"yarn-1", "p", "Y", nil}},
			key:       "pip-2",
			fallbacks: []string{"pip-", "npm-", "yarn-"},
			project:   "p",
			want:      want{cache.Hit, cache.Fallback, "npm-1", "npm-", "N"},
		},
		{
			name:      "exact key wins over a newer prefix match",
			saves:     []save{{"npm-aaa", "p", "A", nil}, {"npm-aab", "p", "B", nil}},
			key:       "npm-aaa",
			fallbacks: []string{"npm-"},
			project:   "p",
			want:      want{cache.Hit, cache.Exact, "npm-aaa", "", "A"},
		},
		{
			name:      "no fallback matches",
			saves:     []save{{"npm-1", "p", "N", nil}},
			key:       "pip-1",
			fallbacks: []string{"pip-", "py"},
			project:   "p",
			want:      want{Outcome: cache.Miss},
		},
		{
			name:      "fallback keys are ignored without a key",
			saves:     []save{{"npm-aaa", "p", "A", nil}},
			fallbacks: []string{"npm-"},
			project:   "p",
			want:      want{Outcome: cache.Miss},
		},
		{
			name:    "other cache paths are another cache version",
			saves:   []save{{"npm-aaa", "p", "A", nil}},
			key:     "npm-aaa",
			project: "p",
			paths:   []string{"deps/**/*", "other/**/*"},
			want:    want{Outcome: cache.Miss},
		},
		{
			name:      "fallback skips other cache versions",
			saves:     []save{{"npm-aaa", "p", "A", nil}, {"npm-bbb", "p", "B", []string{"deps/**/*", "other/**/*"}}},
			key:       "npm-zzz",
			fallbacks: []string{"npm-"},
			project:   "p",
			want:      want{cache.Hit, cache.Fallback, "npm-aaa", "npm-", "A"},
		},
		{
			name:    "order of cache paths does not matter",
			saves:   []save{{"npm-aaa", "p", "A", []string{"other/**/*", "deps/**/*"}}},
			key:     "npm-aaa",
			project: "p",
			paths:   []string{"deps/**/*", "other/**/*", "deps/**/*"},
			want:    want{cache.Hit, cache.Exact, "npm-aaa", "", "A"},
		},
		{
			name:      "keys belong to their project or namespace",
			saves:     []save{{"npm-aaa", "p1", "A", nil}},
			key:       "npm-aaa",
			fallbacks: []string{"npm-"},
			project:   "p2",
			want:      want{Outcome: cache.Miss},
		},
		{
			name:    "projects sharing a namespace share keys",
			saves:   []save{{"npm-aaa", "shared-ns", "A", nil}},
			key:     "npm-aaa",
			project: "shared-ns",
			want:    want{cache.Hit, cache.Exact, "npm-aaa", "", "A"},
		},
		{
			name:    "project cache without a key",
			saves:   []save{{"", "p", "A", nil}},
			project: "p",
			want:    want{cache.Hit, cache.Project, "", "", "A"},
		},
		{
			name:    "project cache of another project",
			saves:   []save{{"", "p1", "A", nil}},
			project: "p2",
			want:    want{Outcome: cache.Miss},
		},
		{
			name:    "keyed entries are not the project cache",
			saves:   []save{{"npm-aaa", "p", "A", nil}},
			project: "p",
			want:    want{Outcome: cache.Miss},
		},
		{
			name:    "the project cache is not a keyed entry",
			saves:   []save{{"", "p", "A", nil}},
			key:     "npm-aaa",
			project: "p",
			want:    want{Outcome: cache.Miss},
		},
		{
			name:    "project cache with changed cache paths",
			saves:   []save{{"", "p", "A", nil}},
			project: "p",
			paths:   []string{"deps/**/*", "more/**/*"},
			want:    want{cache.Hit, cache.Project, "", "", "A"},
		},
		{
			name:    "empty store",
			key:     "npm-aaa",
			project: "p",
			want:    want{Outcome: cache.Miss},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			st := newStore(t)
			for _, s := range tt.saves {
				paths := s.paths
				if paths == nil {
					paths = deps
				}
				if res := saveContent(t, st, s.key, s.project, paths, s.content); res.Outcome != cache.Saved {
					t.Fatalf("Save(%q) = %s, want %s", s.key, res.Outcome, cache.Saved)
				}
			}
			paths := tt.paths
			if paths == nil {
				paths = deps
			}
			dst := dirs(t)
			res, err := st.Restore(t.Context(), tt.key, tt.fallbacks, tt.project, paths, dst)
			if err != nil {
				t.Fatalf("Restore(%q, %q): %v", tt.key, tt.fallbacks, err)
			}
			got := want{res.Outcome, res.Match, res.Key, res.FallbackKey, restoredContent(t, dst.SourceDir)}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Restore(%q, %q, %q) mismatch (-want +got):\n%s\nlog:\n%q", tt.key, tt.fallbacks, tt.project, diff, res.Lines)
			}
		})
	}
}

func TestLogLines(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	src := dirs(t)
	writeTree(t, src.SourceDir, map[string]file{"deps/a.txt": {Content: "aaaa"}, "deps/b/c.txt": {Content: "cc"}})

	res, err := st.Save(t.Context(), "npm-1", "p", deps, src)
	if err != nil {
		t.Fatal(err)
	}
	// Durations and compressed sizes vary; the last line is matched.
	wantFirst := []string{"Expanded cache path deps/**/*", "Uploading S3 cache..."}
	if diff := cmp.Diff(wantFirst, res.Lines[:len(res.Lines)-1]); diff != "" {
		t.Errorf("Save lines mismatch (-want +got):\n%s", diff)
	}
	savedRE := regexp.MustCompile(`^Saved cache with key "npm-1": 2 files, 6 bytes \([0-9]+ compressed\) in [0-9.]+[µm]?s$`)
	if last := res.Lines[len(res.Lines)-1]; !savedRE.MatchString(last) {
		t.Errorf("Save's last line %q does not match %s", last, savedRE)
	}
	if res.Files != 2 || res.Bytes != 6 {
		t.Errorf("Save counted %d files, %d bytes; want 2, 6", res.Files, res.Bytes)
	}

	tests := []struct {
		name      string
		key       string
		fallbacks []string
		paths     []string
		want      []string // without the last line of a hit
	}{
		{
			name: "no paths",
			key:  "npm-1",
			want: []string{cache.LineNoPaths},
		},
		{
			name:  "exact hit",
			key:   "npm-1",
			paths: deps,
			want: []string{
				"Expanded cache path deps/**/*",
				`Cache hit: key "npm-1" (exact match)`,
				"Downloading S3 cache...",
				"Unarchiving cache...",
			},
		},
		{
			name:      "fallback hit",
			key:       "npm-2",
			fallbacks: []string{"yarn-", "npm-"},
			paths:     deps,
			want: []string{
				"Expanded cache path deps/**/*",
				`Cache hit: key "npm-1" matched fallback key "npm-" (prefix match, newest of 1, saved 2026-11-27T09:01:00Z)`,
				"Downloading S3 cache...",
				"Unarchiving cache...",
			},
		},
		{
			name:      "miss",
			key:       "npm-2",
			fallbacks: []string{"yarn-", "pip-"},
			paths:     deps,
			want: []string{
				"Expanded cache path deps/**/*",
				`Cache miss: no cache with key "npm-2" or a key starting with "yarn-", "pip-"`,
			},
		},
		{
			name:  "miss without fallback keys",
			key:   "npm-2",
			paths: deps,
			want: []string{
				"Expanded cache path deps/**/*",
				`Cache miss: no cache with key "npm-2"`,
			},
		},
		{
			name:  "project cache miss",
			paths: deps,
			want: []string{
				"Expanded cache path deps/**/*",
				`Cache miss: no cache saved for project "p" yet`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := dirs(t)
			res, err := st.Restore(t.Context(), tt.key, tt.fallbacks, "p", tt.paths, dst)
			if err != nil {
				t.Fatal(err)
			}
			got := res.Lines
			if res.Outcome == cache.Hit {
				restoredRE := regexp.MustCompile(`^Restored cache: 2 files, 6 bytes in [0-9.]+[µm]?s$`)
				if last := got[len(got)-1]; !restoredRE.MatchString(last) {
					t.Errorf("last line %q does not match %s", last, restoredRE)
				}
				got = got[:len(got)-1]
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Restore lines mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeyedEntriesAreImmutable(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	if res := saveContent(t, st, "npm-1", "p", deps, "first"); res.Outcome != cache.Saved {
		t.Fatalf("first Save = %s, want %s", res.Outcome, cache.Saved)
	}
	res := saveContent(t, st, "npm-1", "p", deps, "second")
	if res.Outcome != cache.Exists {
		t.Fatalf("second Save = %s, want %s", res.Outcome, cache.Exists)
	}
	wantLines := []string{
		"Expanded cache path deps/**/*",
		`Cache with key "npm-1" already exists and is immutable; not saving`,
	}
	if diff := cmp.Diff(wantLines, res.Lines); diff != "" {
		t.Errorf("second Save lines mismatch (-want +got):\n%s", diff)
	}
	dst := dirs(t)
	if _, err := st.Restore(t.Context(), "npm-1", nil, "p", deps, dst); err != nil {
		t.Fatal(err)
	}
	if got := restoredContent(t, dst.SourceDir); got != "first" {
		t.Errorf("restored %q, want the first save's %q", got, "first")
	}
	// The same key with other paths is another cache and may be saved.
	if res := saveContent(t, st, "npm-1", "p", []string{"deps/**/*", "other/*"}, "third"); res.Outcome != cache.Saved {
		t.Errorf("Save with other paths = %s, want %s", res.Outcome, cache.Saved)
	}
}

func TestConcurrentSavesOfOneKey(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	const n = 8
	var wg sync.WaitGroup
	outcomes := make([]cache.Outcome, n)
	for i := range n {
		src := dirs(t)
		writeTree(t, src.SourceDir, map[string]file{"deps/lib.txt": {Content: fmt.Sprint(i)}})
		wg.Go(func() {
			res, err := st.Save(t.Context(), "npm-1", "p", deps, src)
			if err != nil {
				t.Error(err)
			}
			outcomes[i] = res.Outcome
		})
	}
	wg.Wait()
	count := map[cache.Outcome]int{}
	for _, o := range outcomes {
		count[o]++
	}
	if diff := cmp.Diff(map[cache.Outcome]int{cache.Saved: 1, cache.Exists: n - 1}, count); diff != "" {
		t.Errorf("outcomes mismatch (-want +got):\n%s", diff)
	}
	es, err := st.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 {
		t.Errorf("List has %d entries, want 1", len(es))
	}
}

func TestProjectCacheIsOverwritten(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	for _, content := range []string{"first", "second"} {
		res := saveContent(t, st, "", "p", deps, content)
		if res.Outcome != cache.Saved {
			t.Fatalf("Save(%q) = %s, want %s", content, res.Outcome, cache.Saved)
		}
		if want := fmt.Sprintf(`Saved project cache of "p": 1 files, %d bytes`, len(content)); len(res.Lines) != 3 || res.Lines[2][:len(want)] != want {
			t.Errorf("Save lines %q, want the last to start with %q", res.Lines, want)
		}
	}
	dst := dirs(t)
	if _, err := st.Restore(t.Context(), "", nil, "p", deps, dst); err != nil {
		t.Fatal(err)
	}
	if got := restoredContent(t, dst.SourceDir); got != "second" {
		t.Errorf("restored %q, want %q", got, "second")
	}
	es, err := st.List()
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Key != "" || es[0].Project != "p" {
		t.Errorf("List = %+v, want one unkeyed entry of p", es)
	}
}

// TestActions covers how the engine uses Restore and Save for the cache
// actions: "restore" calls only Restore, "save" only Save.
func TestActions(t *testing.T) {
	t.Parallel()

	t.Run("restore only", func(t *testing.T) {
		t.Parallel()
		st := newStore(t)
		saveContent(t, st, "npm-1", "p", deps, "saved")
		before, err := st.List()
		if err != nil {
			t.Fatal(err)
		}
		dst := dirs(t)
		if _, err := st.Restore(t.Context(), "npm-1", nil, "p", deps, dst); err != nil {
			t.Fatal(err)
		}
		// The build changes the cached files; without a save, the entry keeps
		// what it had.
		writeTree(t, dst.SourceDir, map[string]file{"deps/new.txt": {Content: "new"}})
		after, err := st.List()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(before, after, cmpIgnoreLastUsed); diff != "" {
			t.Errorf("List changed by Restore (-before +after):\n%s", diff)
		}
		if !after[0].LastUsed.After(before[0].LastUsed) {
			t.Errorf("LastUsed %v not after %v", after[0].LastUsed, before[0].LastUsed)
		}
		again := dirs(t)
		if _, err := st.Restore(t.Context(), "npm-1", nil, "p", deps, again); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]file{"deps/": {}, "deps/lib.txt": {Mode: 0o644, Content: "saved"}}, readTree(t, again.SourceDir, false)); diff != "" {
			t.Errorf("second restore mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("save only", func(t *testing.T) {
		t.Parallel()
		st := newStore(t)
		saveContent(t, st, "npm-1", "p", deps, "old")
		// No restore: the build starts from its source alone, and Save
		// reads the tree without changing it.
		src := dirs(t)
		tree := map[string]file{"deps/lib.txt": {Content: "built"}, "deps/tool": {Mode: 0o755, Content: "#!/bin/sh"}}
		writeTree(t, src.SourceDir, tree)
		before := readTree(t, src.SourceDir, true)
		res, err := st.Save(t.Context(), "npm-2", "p", deps, src)
		if err != nil || res.Outcome != cache.Saved {
			t.Fatalf("Save = %s, %v; want %s", res.Outcome, err, cache.Saved)
		}
		if diff := cmp.Diff(before, readTree(t, src.SourceDir, true)); diff != "" {
			t.Errorf("Save changed the tree (-before +after):\n%s", diff)
		}
		dst := dirs(t)
		if _, err := st.Restore(t.Context(), "npm-2", nil, "p", deps, dst); err != nil {
			t.Fatal(err)
		}
		if got := restoredContent(t, dst.SourceDir); got != "built" {
			t.Errorf("restored %q, want %q", got, "built")
		}
	})
}

var cmpIgnoreLastUsed = cmp.Options{
	cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".LastUsed" }, cmp.Ignore()),
	cmp.AllowUnexported(cache.Entry{}),
}

func TestNoPaths(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	dst := dirs(t)
	for _, paths := range [][]string{nil, {}} {
		res, err := st.Restore(t.Context(), "k", nil, "p", paths, dst)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(cache.Result{Outcome: cache.Skipped, Lines: []string{cache.LineNoPaths}}, res); diff != "" {
			t.Errorf("Restore(%q) mismatch (-want +got):\n%s", paths, diff)
		}
		res, err = st.Save(t.Context(), "k", "p", paths, dst)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(cache.Result{Outcome: cache.Skipped, Lines: []string{cache.LineNoPaths}}, res); diff != "" {
			t.Errorf("Save(%q) mismatch (-want +got):\n%s", paths, diff)
		}
	}
}

func TestSaveNothingMatched(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	src := dirs(t)
	res, err := st.Save(t.Context(), "k", "p", []string{"missing/**/*", "/nowhere/*"}, src)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != cache.Empty {
		t.Errorf("Save = %s, want %s", res.Outcome, cache.Empty)
	}
	if es, err := st.List(); err != nil || len(es) != 0 {
		t.Errorf("List = %v, %v; want no entries", es, err)
	}
}

func TestBadPaths(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	tg := dirs(t)
	for _, p := range []string{"../up/**/*", "a/../../b", "/", ".", "deps/[", "a\x00b"} {
		if _, err := st.Save(t.Context(), "k", "p", []string{p}, tg); err == nil {
			t.Errorf("Save(%q) succeeded, want an error", p)
		}
		if _, err := st.Restore(t.Context(), "k", nil, "p", []string{p}, tg); err == nil {
			t.Errorf("Restore(%q) succeeded, want an error", p)
		}
	}
	// Relative paths need an absolute source directory.
	if _, err := st.Save(t.Context(), "k", "p", deps, cache.Targets{SourceDir: "rel"}); err == nil {
		t.Error("Save with a relative source directory succeeded, want an error")
	}
}

func TestListAndRemove(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	saveContent(t, st, "npm-1", "p1", deps, "a")   // 09:01
	saveContent(t, st, "npm-1", "p2", deps, "bb")  // 09:02
	saveContent(t, st, "", "p1", deps, "ccc")      // 09:03
	saveContent(t, st, "yarn-1", "p1", deps, "dd") // 09:04
	type row struct {
		Key, Project string
		Files        int
		Bytes        int64
		Created      string
	}
	list := func() []row {
		t.Helper()
		es, err := st.List()
		if err != nil {
			t.Fatal(err)
		}
		var rows []row
		for _, e := range es {
			if e.Size <= 0 || e.Damaged || !e.LastUsed.Equal(e.LastUsed) {
				t.Errorf("entry %+v: bad size or damaged", e)
			}
			rows = append(rows, row{e.Key, e.Project, e.Files, e.Bytes, e.Created.Format("15:04")})
		}
		return rows
	}
	want := []row{
		{"yarn-1", "p1", 1, 2, "09:04"},
		{"", "p1", 1, 3, "09:03"},
		{"npm-1", "p2", 1, 2, "09:02"},
		{"npm-1", "p1", 1, 1, "09:01"},
	}
	if diff := cmp.Diff(want, list()); diff != "" {
		t.Fatalf("List mismatch (-want +got):\n%s", diff)
	}

	if err := st.Remove("npm-1"); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want[:2], list()); diff != "" {
		t.Errorf("List after Remove mismatch (-want +got):\n%s", diff)
	}
	if err := st.Remove("npm-1"); !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("second Remove = %v, want ErrNotFound", err)
	}
	if err := st.RemoveProject("p1"); err != nil {
		t.Fatal(err)
	}
	if got := list(); len(got) != 0 {
		t.Errorf("List after RemoveProject = %v, want none", got)
	}
	saveContent(t, st, "a", "p", deps, "a")
	saveContent(t, st, "", "p", deps, "b")
	if err := st.RemoveAll(); err != nil {
		t.Fatal(err)
	}
	if got := list(); len(got) != 0 {
		t.Errorf("List after RemoveAll = %v, want none", got)
	}
}

func TestSaveSkipsRestoreLeftovers(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	src := dirs(t)
	writeTree(t, src.SourceDir, map[string]file{
		"deps/a":                              {Content: "a"},
		"deps/.codeyard-restore-0123/deps/b":  {Content: "b"},
		".codeyard-restore-4567/leftover.txt": {Content: "c"},
	})
	paths := []string{"**/*"}
	if _, err := st.Save(t.Context(), "k", "p", paths, src); err != nil {
		t.Fatal(err)
	}
	dst := dirs(t)
	if _, err := st.Restore(t.Context(), "k", nil, "p", paths, dst); err != nil {
		t.Fatal(err)
	}
	want := map[string]file{"deps/": {}, "deps/a": {Mode: 0o644, Content: "a"}}
	if diff := cmp.Diff(want, readTree(t, dst.SourceDir, false)); diff != "" {
		t.Errorf("restored tree mismatch (-want +got):\n%s", diff)
	}
}

func TestRestoreCanceled(t *testing.T) {
	t.Parallel()
	st := newStore(t)
	saveContent(t, st, "k", "p", deps, "x")
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	dst := dirs(t)
	if _, err := st.Restore(ctx, "k", nil, "p", deps, dst); !errors.Is(err, context.Canceled) {
		t.Errorf("Restore with a canceled context = %v, want context.Canceled", err)
	}
	if got := readTree(t, dst.SourceDir, false); len(got) != 0 {
		t.Errorf("canceled Restore left %v", got)
	}
}
