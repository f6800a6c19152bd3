package store_test

import (
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/codeyard/codeyard/internal/codebuild"
	"github.com/codeyard/codeyard/internal/store"
)

// t0 is a time the store keeps exactly: it stores milliseconds.
var t0 = time.Date(2025, 3, 4, 5, 6, 7, 8_000_000, time.UTC)

const arnPrefix = "arn:aws:codebuild:us-east-1:000000000000:"

// open opens a new store in a file of its own, closed when the test ends.
func open(tb testing.TB) *store.Store {
	tb.Helper()
	return openAt(tb, filepath.Join(tb.TempDir(), "codeyard.db"))
}

func openAt(tb testing.TB, path string) *store.Store {
	tb.Helper()
	s, err := store.Open(tb.Context(), path)
	if err != nil {
		tb.Fatalf("Open(%q): %v", path, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close(%q): %v", path, err)
		}
	})
	return s
}

// foreignToken is a well-formed token the store did not make.
func foreignToken(parts string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(parts))
}

// badTokens are page tokens every list must refuse with ErrBadToken.
var badTokens = []struct {
	name, token string
}{
	{name: "not base64", token: "!!not-a-token!!"},
	{name: "wrong number of parts", token: foreignToken("a\x00b\x00c")},
	{name: "not a number", token: foreignToken("x")},
}

func project(name string, created, modified time.Time) *codebuild.ProjectRecord {
	return &codebuild.ProjectRecord{
		Name:     name,
		ARN:      arnPrefix + "project/" + name,
		Created:  created,
		Modified: modified,
		Doc:      []byte(`{"name":"` + name + `"}`),
	}
}

func createProjects(t testing.TB, s *store.Store, ps ...*codebuild.ProjectRecord) {
	t.Helper()
	for _, p := range ps {
		if err := s.CreateProject(t.Context(), p); err != nil {
			t.Fatalf("CreateProject(%s): %v", p.Name, err)
		}
	}
}

// pageAll calls list page by page with the given limit until it returns
// no token, and returns everything it listed. It fails the test on a
// page longer than limit, an empty page with a token, or more pages than
// items.
func pageAll[T any](t *testing.T, limit int, desc bool, list func(codebuild.Page) ([]T, string, error)) []T {
	t.Helper()
	var all []T
	p := codebuild.Page{Limit: limit, Desc: desc}
	for range 1000 {
		got, next, err := list(p)
		if err != nil {
			t.Fatalf("list %+v: %v", p, err)
		}
		if limit > 0 && len(got) > limit {
			t.Fatalf("list %+v returned %d items, more than the limit", p, len(got))
		}
		if next != "" && len(got) == 0 {
			t.Fatalf("list %+v returned an empty page with token %q", p, next)
		}
		all = append(all, got...)
		if next == "" {
			return all
		}
		p.Token = next
	}
	t.Fatalf("list with limit %d did not end", limit)
	return nil
}

// checkPaging lists everything at every limit from 1 to len(want)+1, and
// with no limit, and compares with want.
func checkPaging[T any](t *testing.T, want []T, desc bool, list func(codebuild.Page) ([]T, string, error)) {
	t.Helper()
	for _, limit := range append([]int{0}, seq(1, len(want)+1)...) {
		got := pageAll(t, limit, desc, list)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("paging with limit %d, desc %v mismatch (-want +got):\n%s", limit, desc, diff)
		}
	}
}

func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func reversed[T any](s []T) []T {
	if s == nil {
		return nil
	}
	out := make([]T, len(s))
	for i, v := range s {
		out[len(s)-1-i] = v
	}
	return out
}

func TestOpenPaths(t *testing.T) {
	t.Parallel()
	// The path is not a URI: characters that mean something in one
	// must name the file they spell. Go itself names a repeated subtest
	// "name#01", and t.TempDir keeps the '#'.
	for _, dir := range []string{"plain", "hash#01", "question?mark", "percent%25", "percent%", "space d", "amp&x=1"} {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			d := filepath.Join(t.TempDir(), dir)
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(d, "codeyard.db")
			s := openAt(t, path)
			createProjects(t, s, project("p", t0, t0))
			if _, err := os.Stat(path); err != nil {
				t.Errorf("Open(%q) did not create the file: %v", path, err)
			}
			if err := s.Check(t.Context()); err != nil {
				t.Errorf("Check: %v", err)
			}
		})
	}
}

func TestReopen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "codeyard.db")
	s, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	want := project("kept", t0, t0.Add(time.Hour))
	createProjects(t, s, want)
	if _, err := s.CreateBuild(ctx, "kept", &codebuild.Queue{}, makeBuild("kept")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	// Open again, twice: the second runs the migrations while the first
	// has the database open.
	for i := range 2 {
		s := openAt(t, path)
		if err := s.Check(ctx); err != nil {
			t.Errorf("Check after reopen %d: %v", i, err)
		}
		got, err := s.Projects(ctx, []string{"kept"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*codebuild.ProjectRecord{want}, got); diff != "" {
			t.Errorf("Projects after reopen %d mismatch (-want +got):\n%s", i, diff)
		}
	}

	// The build number goes on from where it was, and the job survived.
	s = openAt(t, path)
	b, err := s.CreateBuild(ctx, "kept", nil, makeBuild("kept"))
	if err != nil {
		t.Fatal(err)
	}
	if b.Number != 2 {
		t.Errorf("CreateBuild after reopen: number %d, want 2", b.Number)
	}
	j, err := s.ClaimJob(ctx, "w")
	if err != nil || j == nil || j.BuildID != "kept:0001" {
		t.Errorf("ClaimJob after reopen = %+v, %v; want the job of kept:0001", j, err)
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	s := open(t)
	if err := s.Check(t.Context()); err != nil {
		t.Errorf("Check on a new store: %v", err)
	}
}

func TestProjectCRUD(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t)
	a, b := project("a", t0, t0), project("b", t0.Add(time.Second), t0.Add(time.Second))
	createProjects(t, s, a, b)

	t.Run("duplicate", func(t *testing.T) {
		err := s.CreateProject(ctx, project("a", t0.Add(time.Hour), t0.Add(time.Hour)))
		if !errors.Is(err, codebuild.ErrExists) {
			t.Errorf("CreateProject(a) again = %v, want ErrExists", err)
		}
	})
	t.Run("update", func(t *testing.T) {
		up := &codebuild.ProjectRecord{Name: "a", Modified: t0.Add(time.Minute), Doc: []byte(`{"v":2}`)}
		if err := s.UpdateProject(ctx, up); err != nil {
			t.Fatalf("UpdateProject(a): %v", err)
		}
		// Only the document and the modified time change.
		a = &codebuild.ProjectRecord{Name: "a", ARN: a.ARN, Created: a.Created, Modified: up.Modified, Doc: up.Doc}
	})
	t.Run("update missing", func(t *testing.T) {
		err := s.UpdateProject(ctx, project("nope", t0, t0))
		if !errors.Is(err, codebuild.ErrNotFound) {
			t.Errorf("UpdateProject(nope) = %v, want ErrNotFound", err)
		}
	})

	tests := []struct {
		name  string
		names []string
		want  []*codebuild.ProjectRecord
	}{
		{name: "none", names: nil, want: nil},
		{name: "one", names: []string{"a"}, want: []*codebuild.ProjectRecord{a}},
		{name: "asked order", names: []string{"b", "a"}, want: []*codebuild.ProjectRecord{b, a}},
		{name: "skips missing", names: []string{"x", "b", "y", "a", "z"}, want: []*codebuild.ProjectRecord{b, a}},
		{name: "repeated once", names: []string{"a", "a", "b", "a"}, want: []*codebuild.ProjectRecord{a, b}},
		{name: "all missing", names: []string{"x"}, want: nil},
	}
	for _, tt := range tests {
		t.Run("Projects/"+tt.name, func(t *testing.T) {
			got, err := s.Projects(ctx, tt.names)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Projects(%q) mismatch (-want +got):\n%s", tt.names, diff)
			}
		})
	}

	t.Run("delete", func(t *testing.T) {
		if err := s.DeleteProject(ctx, "a"); err != nil {
			t.Fatalf("DeleteProject(a): %v", err)
		}
		if err := s.DeleteProject(ctx, "a"); err != nil {
			t.Errorf("DeleteProject(a) again: %v", err)
		}
		got, err := s.Projects(ctx, []string{"a", "b"})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]*codebuild.ProjectRecord{b}, got); diff != "" {
			t.Errorf("Projects after delete mismatch (-want +got):\n%s", diff)
		}
		// The name is free again.
		createProjects(t, s, project("a", t0, t0))
	})
}

func TestListProjects(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t)
	at := func(sec int) time.Time { return t0.Add(time.Duration(sec) * time.Second) }
	// Ties in created and modified times, broken by name; creation order
	// is neither name nor time order.
	createProjects(t, s,
		project("echo", at(1), at(9)),
		project("alpha", at(3), at(5)),
		project("delta", at(1), at(5)),
		project("charlie", at(2), at(7)),
		project("bravo", at(3), at(5)),
		project("foxtrot", at(0), at(9)),
	)
	tests := []struct {
		sortBy string
		want   []string // ascending
	}{
		{sortBy: "NAME", want: []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot"}},
		{sortBy: "CREATED_TIME", want: []string{"foxtrot", "delta", "echo", "charlie", "alpha", "bravo"}},
		{sortBy: "LAST_MODIFIED_TIME", want: []string{"alpha", "bravo", "delta", "charlie", "echo", "foxtrot"}},
	}
	for _, tt := range tests {
		for _, desc := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/desc=%v", tt.sortBy, desc), func(t *testing.T) {
				t.Parallel()
				want := tt.want
				if desc {
					want = reversed(want)
				}
				checkPaging(t, want, desc, func(p codebuild.Page) ([]string, string, error) {
					return s.ListProjects(ctx, tt.sortBy, p)
				})
			})
		}
	}
	for _, sortBy := range []string{"NAME", "CREATED_TIME"} {
		for _, tt := range badTokens {
			t.Run("bad token/"+sortBy+"/"+tt.name, func(t *testing.T) {
				_, _, err := s.ListProjects(ctx, sortBy, codebuild.Page{Token: tt.token})
				if !errors.Is(err, codebuild.ErrBadToken) {
					t.Errorf("ListProjects(%s, token %q) = %v, want ErrBadToken", sortBy, tt.token, err)
				}
			})
		}
	}
	t.Run("bad token/time not a number", func(t *testing.T) {
		tok := foreignToken("soon\x00alpha")
		_, _, err := s.ListProjects(ctx, "LAST_MODIFIED_TIME", codebuild.Page{Token: tok})
		if !errors.Is(err, codebuild.ErrBadToken) {
			t.Errorf("ListProjects(LAST_MODIFIED_TIME, token %q) = %v, want ErrBadToken", tok, err)
		}
	})
}
