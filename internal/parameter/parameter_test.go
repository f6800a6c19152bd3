package parameter_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/codeyard/codeyard/internal/parameter"
	"github.com/codeyard/codeyard/internal/seal"
	"github.com/codeyard/codeyard/internal/store"
)

// newService returns a Service on a new SQLite store, and the database's
// directory.
func newService(t *testing.T) (*parameter.Service, *store.Store, string) {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(t.Context(), filepath.Join(dir, "codeyard.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	master := make([]byte, seal.KeySize)
	rand.Read(master)
	key, err := seal.New(master)
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	return parameter.New(st, key, func() time.Time { clock = clock.Add(time.Second); return clock }), st, dir
}

func put(t *testing.T, s *parameter.Service, in parameter.Put) int64 {
	t.Helper()
	v, _, err := s.Put(t.Context(), in)
	if err != nil {
		t.Fatalf("Put(%s): %v", in.Name, err)
	}
	return v
}

func value(t *testing.T, s *parameter.Service, ref string) string {
	t.Helper()
	v, _, err := s.Get(t.Context(), ref)
	if err != nil {
		t.Fatalf("Get(%s): %v", ref, err)
	}
	val, err := s.Value(v, true)
	if err != nil {
		t.Fatalf("Value(%s): %v", ref, err)
	}
	return val
}

func TestPut(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t)
	ctx := t.Context()
	put(t, s, parameter.Put{Name: "/app/existing", Value: "v1", Type: parameter.TypeString, Description: "d", HasDescription: true})
	put(t, s, parameter.Put{Name: "/app/advanced", Value: "v1", Type: parameter.TypeString, Tier: parameter.TierAdvanced})
	put(t, s, parameter.Put{Name: "/app/pattern", Value: "123", Type: parameter.TypeString, AllowedPattern: `\d+`, HasAllowedPattern: true})
	deep := "/" + strings.Repeat("a/", 15) + "b"
	tests := []struct {
		name        string
		in          parameter.Put
		wantVersion int64
		wantTier    string
		wantErr     error
	}{
		{name: "new string", in: parameter.Put{Name: "/app/a", Value: "x", Type: parameter.TypeString}, wantVersion: 1, wantTier: "Standard"},
		{name: "root name", in: parameter.Put{Name: "plain", Value: "x", Type: parameter.TypeStringList}, wantVersion: 1, wantTier: "Standard"},
		{name: "secure string", in: parameter.Put{Name: "/app/s", Value: "x", Type: parameter.TypeSecureString}, wantVersion: 1, wantTier: "Standard"},
		{name: "exists", in: parameter.Put{Name: "/app/existing", Value: "x", Type: parameter.TypeString}, wantErr: parameter.ErrExists},
		{name: "overwrite keeps the type", in: parameter.Put{Name: "/app/existing", Value: "v2", Overwrite: true}, wantVersion: 2, wantTier: "Standard"},
		{name: "no type", in: parameter.Put{Name: "/app/b", Value: "x"}, wantErr: parameter.ErrInvalid},
		{name: "empty value", in: parameter.Put{Name: "/app/b", Type: parameter.TypeString}, wantErr: parameter.ErrInvalid},
		{name: "not fully qualified", in: parameter.Put{Name: "app/b", Value: "x", Type: parameter.TypeString}, wantErr: parameter.ErrInvalid},
		{name: "bad character", in: parameter.Put{Name: "/app/b c", Value: "x", Type: parameter.TypeString}, wantErr: parameter.ErrInvalid},
		{name: "ssm prefix", in: parameter.Put{Name: "SSM-x", Value: "x", Type: parameter.TypeString}, wantErr: parameter.ErrInvalid},
		{name: "reserved", in: parameter.Put{Name: "/aws/x/y", Value: "x", Type: parameter.TypeString}, wantErr: parameter.ErrReserved},
		{name: "too deep", in: parameter.Put{Name: deep, Value: "x", Type: parameter.TypeString}, wantErr: parameter.ErrHierarchyLimit},
		{name: "standard too long", in: parameter.Put{Name: "/app/long", Value: strings.Repeat("x", 4097), Type: parameter.TypeString}, wantErr: parameter.ErrInvalid},
		{name: "intelligent tiering", in: parameter.Put{Name: "/app/long", Value: strings.Repeat("x", 4097), Type: parameter.TypeString, Tier: parameter.TierIntelligent}, wantVersion: 1, wantTier: "Advanced"},
		{name: "advanced too long", in: parameter.Put{Name: "/app/longer", Value: strings.Repeat("x", 8193), Type: parameter.TypeString, Tier: parameter.TierAdvanced}, wantErr: parameter.ErrInvalid},
		{name: "no downgrade", in: parameter.Put{Name: "/app/advanced", Value: "x", Tier: parameter.TierStandard, Overwrite: true}, wantErr: parameter.ErrInvalid},
		{name: "advanced stays", in: parameter.Put{Name: "/app/advanced", Value: "x", Overwrite: true}, wantVersion: 2, wantTier: "Advanced"},
		{name: "pattern kept on overwrite", in: parameter.Put{Name: "/app/pattern", Value: "abc", Overwrite: true}, wantErr: parameter.ErrPatternMismatch},
		{name: "bad pattern", in: parameter.Put{Name: "/app/c", Value: "x", Type: parameter.TypeString, AllowedPattern: "(", HasAllowedPattern: true}, wantErr: parameter.ErrBadPattern},
		{name: "tags with overwrite", in: parameter.Put{Name: "/app/existing", Value: "x", Overwrite: true, Tags: []parameter.Tag{{"a", "b"}}}, wantErr: parameter.ErrInvalid},
		{name: "data type", in: parameter.Put{Name: "/app/d", Value: "x", Type: parameter.TypeString, DataType: "TEXT"}, wantErr: parameter.ErrInvalid},
		{name: "policies", in: parameter.Put{Name: "/app/d", Value: "x", Type: parameter.TypeString, Policies: "[]"}, wantErr: parameter.ErrInvalid},
	}
	for _, tt := range tests {
		v, tier, err := s.Put(ctx, tt.in)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: Put(%s) error = %v, want %v", tt.name, tt.in.Name, err, tt.wantErr)
			continue
		}
		if v != tt.wantVersion || tier != tt.wantTier {
			t.Errorf("%s: Put(%s) = %d, %q; want %d, %q", tt.name, tt.in.Name, v, tier, tt.wantVersion, tt.wantTier)
		}
	}
	got, _, err := s.Get(ctx, "/app/existing")
	if err != nil {
		t.Fatal(err)
	}
	if got.Description != "d" || got.Type != parameter.TypeString {
		t.Errorf("overwrite without a description or type: %+v", got)
	}
	if sec, _, _ := s.Get(ctx, "/app/s"); sec.KeyID != parameter.DefaultKeyID {
		t.Errorf("SecureString KeyID = %q, want %q", sec.KeyID, parameter.DefaultKeyID)
	}
}

func TestGetSelectors(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t)
	ctx := t.Context()
	for i := 1; i <= 3; i++ {
		put(t, s, parameter.Put{Name: "/p", Value: fmt.Sprintf("v%d", i), Type: parameter.TypeSecureString, Overwrite: i > 1})
	}
	if invalid, v, err := s.Label(ctx, "/p", 2, []string{"prod", "9x", "awsy", "prod"}); err != nil || v != 2 || !cmp.Equal(invalid, []string{"9x", "awsy"}) {
		t.Fatalf("Label = %q, %d, %v", invalid, v, err)
	}
	tests := []struct {
		ref, want, wantSel string
		wantErr            error
	}{
		{ref: "/p", want: "v3"},
		{ref: "/p:1", want: "v1", wantSel: ":1"},
		{ref: "/p:prod", want: "v2", wantSel: ":prod"},
		{ref: "/p:4", wantErr: parameter.ErrVersionNotFound},
		{ref: "/p:staging", wantErr: parameter.ErrNotFound},
		{ref: "/q", wantErr: parameter.ErrNotFound},
		{ref: "/q:1", wantErr: parameter.ErrNotFound},
		{ref: "/p:1:2", wantErr: parameter.ErrNotFound},
	}
	for _, tt := range tests {
		v, sel, err := s.Get(ctx, tt.ref)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("Get(%s) error = %v, want %v", tt.ref, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		val, err := s.Value(v, true)
		if err != nil || val != tt.want || sel != tt.wantSel {
			t.Errorf("Get(%s) = %q, %q, %v; want %q, %q", tt.ref, val, sel, err, tt.want, tt.wantSel)
		}
		if enc, _ := s.Value(v, false); enc == val {
			t.Errorf("Get(%s) without decryption answered the value", tt.ref)
		}
	}
	// Moving a label takes it off its old version.
	if _, _, err := s.Label(ctx, "/p", 0, []string{"prod"}); err != nil {
		t.Fatal(err)
	}
	if got := value(t, s, "/p:prod"); got != "v3" {
		t.Errorf("/p:prod after moving the label = %q, want v3", got)
	}
	found, invalid, err := s.GetMany(ctx, []string{"/p:1", "/nope", "/p:9", "/p:1"})
	if err != nil || len(found) != 1 || !cmp.Equal(invalid, []string{"/nope", "/p:9"}) {
		t.Errorf("GetMany = %v, %q, %v", found, invalid, err)
	}
	vs, next, err := s.History(ctx, "/p", 2, "")
	if err != nil || len(vs) != 2 || next == "" {
		t.Fatalf("History page 1 = %d versions, %q, %v", len(vs), next, err)
	}
	vs, next, err = s.History(ctx, "/p", 2, next)
	if err != nil || len(vs) != 1 || next != "" || vs[0].Version != 3 || !cmp.Equal(vs[0].Labels, []string{"prod"}) {
		t.Errorf("History page 2 = %+v, %q, %v", vs, next, err)
	}
}

func TestVersionLimit(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t)
	ctx := t.Context()
	for i := 1; i <= parameter.MaxVersions; i++ {
		put(t, s, parameter.Put{Name: "/v", Value: fmt.Sprint(i), Type: parameter.TypeString, Overwrite: true})
	}
	if _, _, err := s.Label(ctx, "/v", 1, []string{"first"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Put(ctx, parameter.Put{Name: "/v", Value: "101", Overwrite: true}); !errors.Is(err, parameter.ErrVersionLimit) {
		t.Fatalf("Put of version 101 with version 1 labelled: %v, want ErrVersionLimit", err)
	}
	if _, _, err := s.Label(ctx, "/v", 2, []string{"first"}); err != nil {
		t.Fatal(err)
	}
	if v := put(t, s, parameter.Put{Name: "/v", Value: "101", Overwrite: true}); v != 101 {
		t.Errorf("Put = version %d, want 101", v)
	}
	if _, _, err := s.Get(ctx, "/v:1"); !errors.Is(err, parameter.ErrVersionNotFound) {
		t.Errorf("Get(/v:1) after version 101: %v, want ErrVersionNotFound", err)
	}
	if got := value(t, s, "/v:first"); got != "2" {
		t.Errorf("/v:first = %q, want 2", got)
	}
}

func names(vs []*parameter.Version) []string {
	var out []string
	for _, v := range vs {
		out = append(out, v.Name)
	}
	return out
}

func TestByPathAndDescribe(t *testing.T) {
	t.Parallel()
	s, _, _ := newService(t)
	ctx := t.Context()
	for _, p := range []struct{ name, typ string }{
		{"/app/a", "String"}, {"/app/b", "SecureString"}, {"/app/c/d", "String"}, {"/app/c/e/f", "SecureString"},
		{"/apple", "String"}, {"/other/x", "StringList"}, {"root", "String"},
	} {
		put(t, s, parameter.Put{Name: p.name, Value: "v-" + p.name, Type: p.typ, Tags: []parameter.Tag{{Key: "kind", Value: p.typ}}})
	}
	if _, _, err := s.Label(ctx, "/app/c/d", 1, []string{"live"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		q       parameter.ByPath
		want    []string
		wantErr error
	}{
		{q: parameter.ByPath{Path: "/app"}, want: []string{"/app/a", "/app/b"}},
		{q: parameter.ByPath{Path: "/app/"}, want: []string{"/app/a", "/app/b"}},
		{q: parameter.ByPath{Path: "/app", Recursive: true}, want: []string{"/app/a", "/app/b", "/app/c/d", "/app/c/e/f"}},
		{q: parameter.ByPath{Path: "/", Recursive: false}, want: []string{"/apple", "root"}},
		{q: parameter.ByPath{Path: "/app", Recursive: true, Filters: []parameter.Filter{{Key: "Type", Values: []string{"SecureString"}}}}, want: []string{"/app/b", "/app/c/e/f"}},
		{q: parameter.ByPath{Path: "/app", Recursive: true, Filters: []parameter.Filter{{Key: "Label", Values: []string{"live"}}}}, want: []string{"/app/c/d"}},
		{q: parameter.ByPath{Path: "/", Recursive: true, Filters: []parameter.Filter{{Key: "tag:kind", Values: []string{"StringList"}}}}, want: []string{"/other/x"}},
		{q: parameter.ByPath{Path: "app"}, wantErr: parameter.ErrInvalid},
		{q: parameter.ByPath{Path: "/app", Filters: []parameter.Filter{{Key: "Name", Values: []string{"x"}}}}, wantErr: parameter.ErrFilterKey},
		{q: parameter.ByPath{Path: "/app", Filters: []parameter.Filter{{Key: "Type", Option: "Contains", Values: []string{"String"}}}}, wantErr: parameter.ErrFilterOption},
		{q: parameter.ByPath{Path: "/app", Token: "!!"}, wantErr: parameter.ErrBadToken},
	}
	for _, tt := range tests {
		// Page by one, to check the tokens too.
		var got []string
		q := tt.q
		q.Limit = 1
		for i := 0; ; i++ {
			vs, next, err := s.ByPath(ctx, q)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("ByPath(%+v) error = %v, want %v", tt.q, err, tt.wantErr)
			}
			got = append(got, names(vs)...)
			if next == "" || err != nil || i > 10 {
				break
			}
			q.Token = next
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("ByPath(%+v) mismatch (-want +got):\n%s", tt.q, diff)
		}
	}

	describe := []struct {
		q       parameter.Describe
		want    []string
		wantErr error
	}{
		{q: parameter.Describe{}, want: []string{"/app/a", "/app/b", "/app/c/d", "/app/c/e/f", "/apple", "/other/x", "root"}},
		{q: parameter.Describe{Filters: []parameter.Filter{{Key: "Name", Option: "BeginsWith", Values: []string{"/app/c"}}}}, want: []string{"/app/c/d", "/app/c/e/f"}},
		{q: parameter.Describe{Filters: []parameter.Filter{{Key: "Name", Option: "Contains", Values: []string{"pp"}}}}, want: []string{"/app/a", "/app/b", "/app/c/d", "/app/c/e/f", "/apple"}},
		{q: parameter.Describe{Filters: []parameter.Filter{{Key: "Name", Values: []string{"/root"}}}}, want: []string{"root"}},
		{q: parameter.Describe{Filters: []parameter.Filter{{Key: "Path", Values: []string{"/app/c"}}}}, want: []string{"/app/c/d"}},
		{q: parameter.Describe{Filters: []parameter.Filter{{Key: "Path", Option: "Recursive", Values: []string{"/app"}}, {Key: "Type", Values: []string{"String"}}}}, want: []string{"/app/a", "/app/c/d"}},
		{q: parameter.Describe{Filters: []parameter.Filter{{Key: "KeyId", Values: []string{parameter.DefaultKeyID}}}}, want: []string{"/app/b", "/app/c/e/f"}},
		{q: parameter.Describe{Old: true, Filters: []parameter.Filter{{Key: "Name", Values: []string{"/app/c"}}}}, want: []string{"/app/c/d", "/app/c/e/f"}},
		{q: parameter.Describe{Filters: []parameter.Filter{{Key: "Label", Values: []string{"live"}}}}, wantErr: parameter.ErrFilterKey},
		{q: parameter.Describe{Filters: []parameter.Filter{{Key: "Type", Values: []string{"Number"}}}}, wantErr: parameter.ErrFilterValue},
		{q: parameter.Describe{Filters: []parameter.Filter{{Key: "Type", Values: []string{"String"}}, {Key: "Type", Values: []string{"String"}}}}, wantErr: parameter.ErrFilterKey},
	}
	for _, tt := range describe {
		var got []string
		q := tt.q
		q.Limit = 2
		for i := 0; ; i++ {
			vs, next, err := s.Describe(ctx, q)
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("Describe(%+v) error = %v, want %v", tt.q, err, tt.wantErr)
			}
			got = append(got, names(vs)...)
			if next == "" || err != nil || i > 10 {
				break
			}
			q.Token = next
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("Describe(%+v) mismatch (-want +got):\n%s", tt.q, diff)
		}
	}

	deleted, invalid, err := s.DeleteMany(ctx, []string{"/app/a", "/nope", "/app/a"})
	if err != nil || !cmp.Equal(deleted, []string{"/app/a"}) || !cmp.Equal(invalid, []string{"/nope"}) {
		t.Errorf("DeleteMany = %q, %q, %v", deleted, invalid, err)
	}
	if err := s.Delete(ctx, "/app/a"); !errors.Is(err, parameter.ErrNotFound) {
		t.Errorf("Delete of a deleted parameter: %v", err)
	}
	// A new parameter of a deleted one's name starts again at version 1.
	if v := put(t, s, parameter.Put{Name: "/app/a", Value: "again", Type: parameter.TypeString}); v != 1 {
		t.Errorf("Put after Delete = version %d, want 1", v)
	}
}

// TestSealedAtRest checks that no value is in the database file in clear
// text, and that a sealed value moved to another record does not open.
func TestSealedAtRest(t *testing.T) {
	t.Parallel()
	s, st, dir := newService(t)
	ctx := t.Context()
	const plain, secure = "plain-value-4f8a2c", "secure-value-9d3b7e"
	put(t, s, parameter.Put{Name: "/a", Value: plain, Type: parameter.TypeString})
	put(t, s, parameter.Put{Name: "/b", Value: secure, Type: parameter.TypeSecureString})
	if err := st.Close(); err != nil { // checkpoints the WAL into the file
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "codeyard.db*"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{plain, secure} {
			if bytes.Contains(data, []byte(v)) {
				t.Errorf("%s holds the value %q in clear text", filepath.Base(f), v)
			}
		}
	}
	st2, err := store.Open(context.WithoutCancel(ctx), filepath.Join(dir, "codeyard.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st2.Close()
	b, err := st2.Parameter(ctx, "/b", 0)
	if err != nil {
		t.Fatal(err)
	}
	b.Name = "/a" // b's sealed value, presented as /a's
	if _, err := s.Value(b, true); !errors.Is(err, seal.ErrOpen) {
		t.Errorf("Value of a sealed value moved to another parameter: %v, want seal.ErrOpen", err)
	}
}
