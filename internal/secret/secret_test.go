package secret_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/codeyard/codeyard/internal/seal"
	"github.com/codeyard/codeyard/internal/secret"
	"github.com/codeyard/codeyard/internal/store"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time { c.t = c.t.Add(time.Second); return c.t }

func newService(t *testing.T) (*secret.Service, *store.Store, *clock, string) {
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
	c := &clock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	return secret.New(st, key, c.now), st, c, dir
}

func create(t *testing.T, s *secret.Service, name, value string) *secret.Secret {
	t.Helper()
	sec, _, err := s.Create(t.Context(), secret.Create{Name: name, Region: "eu-west-1", Account: "123456789012", Value: secret.Value{String: value}})
	if err != nil {
		t.Fatalf("Create(%s): %v", name, err)
	}
	return sec
}

func get(t *testing.T, s *secret.Service, id, versionID, stage string) (string, error) {
	t.Helper()
	_, _, v, err := s.Get(t.Context(), id, versionID, stage)
	return v.String, err
}

func TestCreateAndGet(t *testing.T) {
	t.Parallel()
	s, _, _, _ := newService(t)
	ctx := t.Context()
	sec := create(t, s, "prod/db", "one")
	if !strings.HasPrefix(sec.ARN, "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-") || len(sec.ARN) != len("arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-")+6 {
		t.Errorf("ARN = %s", sec.ARN)
	}
	tests := []struct {
		name    string
		in      secret.Create
		wantErr error
	}{
		{name: "exists", in: secret.Create{Name: "prod/db", Value: secret.Value{String: "x"}}, wantErr: secret.ErrExists},
		{name: "bad name", in: secret.Create{Name: "a b"}, wantErr: secret.ErrInvalid},
		{name: "both values", in: secret.Create{Name: "both", Value: secret.Value{String: "x", Binary: []byte{1}}}, wantErr: secret.ErrInvalidParameter},
		{name: "no value", in: secret.Create{Name: "empty"}},
		{name: "binary", in: secret.Create{Name: "bin", Value: secret.Value{Binary: []byte{0, 1, 2}}}},
	}
	for _, tt := range tests {
		if _, _, err := s.Create(ctx, tt.in); !errors.Is(err, tt.wantErr) {
			t.Errorf("%s: Create error = %v, want %v", tt.name, err, tt.wantErr)
		}
	}
	if _, _, v, err := s.Get(ctx, "bin", "", ""); err != nil || !bytes.Equal(v.Binary, []byte{0, 1, 2}) {
		t.Errorf("Get(bin) = %v, %v", v, err)
	}
	if _, err := get(t, s, "empty", "", ""); !errors.Is(err, secret.ErrNotFound) || !strings.Contains(err.Error(), "staging label: AWSCURRENT") {
		t.Errorf("Get of a secret without a value: %v", err)
	}
	for _, id := range []string{"prod/db", sec.ARN, strings.TrimSuffix(sec.ARN, sec.ARN[len(sec.ARN)-7:])} {
		if v, err := get(t, s, id, "", ""); err != nil || v != "one" {
			t.Errorf("Get(%s) = %q, %v; want one", id, v, err)
		}
	}
	for _, id := range []string{"prod", "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/d", sec.ARN + "x"} {
		if _, err := get(t, s, id, "", ""); !errors.Is(err, secret.ErrNotFound) {
			t.Errorf("Get(%s) error = %v, want ErrNotFound", id, err)
		}
	}
	d, err := s.Describe(ctx, "prod/db")
	if err != nil || d.Accessed.IsZero() {
		t.Errorf("Describe after Get: last accessed %v, %v", d, err)
	}
}

func TestVersionsAndStages(t *testing.T) {
	t.Parallel()
	s, _, _, _ := newService(t)
	ctx := t.Context()
	create(t, s, "app", "v1")
	const tokenA, tokenB = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa", "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
	if _, v, err := s.Put(ctx, secret.Put{ID: "app", Token: tokenA, Value: secret.Value{String: "v2"}}); err != nil || v.ID != tokenA || !cmp.Equal(v.Stages, []string{"AWSCURRENT"}) {
		t.Fatalf("Put v2 = %+v, %v", v, err)
	}
	// The same token and value again changes nothing; another value fails.
	if _, v, err := s.Put(ctx, secret.Put{ID: "app", Token: tokenA, Value: secret.Value{String: "v2"}}); err != nil || v.ID != tokenA {
		t.Errorf("Put v2 again = %+v, %v", v, err)
	}
	if _, _, err := s.Put(ctx, secret.Put{ID: "app", Token: tokenA, Value: secret.Value{String: "other"}}); !errors.Is(err, secret.ErrExists) {
		t.Errorf("Put of another value with a used token: %v, want ErrExists", err)
	}
	// A pending version leaves AWSCURRENT where it is.
	if _, v, err := s.Put(ctx, secret.Put{ID: "app", Token: tokenB, Value: secret.Value{String: "v3"}, Stages: []string{"AWSPENDING"}}); err != nil || !cmp.Equal(v.Stages, []string{"AWSPENDING"}) {
		t.Fatalf("Put v3 pending = %+v, %v", v, err)
	}
	tests := []struct {
		versionID, stage, want string
		wantErr                error
	}{
		{want: "v2"},
		{stage: "AWSCURRENT", want: "v2"},
		{stage: "AWSPREVIOUS", want: "v1"},
		{stage: "AWSPENDING", want: "v3"},
		{versionID: tokenA, want: "v2"},
		{versionID: tokenA, stage: "AWSCURRENT", want: "v2"},
		{versionID: tokenA, stage: "AWSPREVIOUS", wantErr: secret.ErrInvalidRequest},
		{versionID: "cccccccc-cccc-4ccc-8ccc-cccccccccccc", wantErr: secret.ErrNotFound},
		{stage: "NOPE", wantErr: secret.ErrNotFound},
	}
	for _, tt := range tests {
		got, err := get(t, s, "app", tt.versionID, tt.stage)
		if !errors.Is(err, tt.wantErr) || got != tt.want {
			t.Errorf("Get(app, %q, %q) = %q, %v; want %q, %v", tt.versionID, tt.stage, got, err, tt.want, tt.wantErr)
		}
	}
	// UpdateSecret with a value makes a new AWSCURRENT; v2 becomes
	// AWSPREVIOUS and v1 is left without a label.
	desc := "the app's secret"
	if _, v, err := s.Update(ctx, secret.Update{ID: "app", Value: secret.Value{String: "v4"}, Description: &desc}); err != nil || v == nil {
		t.Fatalf("Update = %v, %v", v, err)
	}
	d, err := s.Describe(ctx, "app")
	if err != nil {
		t.Fatal(err)
	}
	stages := map[string][]string{}
	for _, v := range d.Versions {
		stages[v.ID] = v.Stages
	}
	if d.Description != desc || !cmp.Equal(stages[tokenA], []string{"AWSPREVIOUS"}) || !cmp.Equal(stages[tokenB], []string{"AWSPENDING"}) || len(d.Versions) != 4 {
		t.Errorf("after Update: %+v", d)
	}
	_, vs, _, err := s.Versions(ctx, "app", false, 0, "")
	if err != nil || len(vs) != 3 {
		t.Errorf("Versions without deprecated = %+v, %v", vs, err)
	}
	if v, _ := get(t, s, "app", "", "AWSPREVIOUS"); v != "v2" {
		t.Errorf("AWSPREVIOUS after Update = %q, want v2", v)
	}
}

func TestVersionLimit(t *testing.T) {
	t.Parallel()
	s, _, _, _ := newService(t)
	ctx := t.Context()
	create(t, s, "many", "0")
	for i := 1; i <= secret.MaxVersions+5; i++ {
		if _, _, err := s.Put(ctx, secret.Put{ID: "many", Value: secret.Value{String: fmt.Sprint(i)}}); err != nil {
			t.Fatal(err)
		}
	}
	d, err := s.Describe(ctx, "many")
	if err != nil || len(d.Versions) != secret.MaxVersions {
		t.Fatalf("versions kept = %d, %v; want %d", len(d.Versions), err, secret.MaxVersions)
	}
	if v, _ := get(t, s, "many", "", ""); v != "105" {
		t.Errorf("AWSCURRENT = %q, want 105", v)
	}
	if v, _ := get(t, s, "many", "", "AWSPREVIOUS"); v != "104" {
		t.Errorf("AWSPREVIOUS = %q, want 104", v)
	}
}

func TestDeleteAndRestore(t *testing.T) {
	t.Parallel()
	s, _, c, _ := newService(t)
	ctx := t.Context()
	create(t, s, "gone", "x")
	week := int64(7)
	bad := int64(6)
	if _, _, err := s.Delete(ctx, "gone", &week, true, "eu-west-1", "123456789012"); !errors.Is(err, secret.ErrInvalidParameter) {
		t.Errorf("Delete with a window and force: %v", err)
	}
	if _, _, err := s.Delete(ctx, "gone", &bad, false, "eu-west-1", "123456789012"); !errors.Is(err, secret.ErrInvalidParameter) {
		t.Errorf("Delete with a 6-day window: %v", err)
	}
	_, when, err := s.Delete(ctx, "gone", &week, false, "eu-west-1", "123456789012")
	if err != nil || when.Sub(c.t) != 7*24*time.Hour {
		t.Fatalf("Delete = %v, %v", when, err)
	}
	for name, f := range map[string]func() error{
		"Get": func() error { _, err := get(t, s, "gone", "", ""); return err },
		"Put": func() error {
			_, _, err := s.Put(ctx, secret.Put{ID: "gone", Value: secret.Value{String: "y"}})
			return err
		},
		"Update": func() error {
			_, _, err := s.Update(ctx, secret.Update{ID: "gone", Value: secret.Value{String: "y"}})
			return err
		},
		"Delete": func() error { _, _, err := s.Delete(ctx, "gone", nil, false, "", ""); return err },
		"Create": func() error { _, _, err := s.Create(ctx, secret.Create{Name: "gone"}); return err },
	} {
		if err := f(); !errors.Is(err, secret.ErrInvalidRequest) {
			t.Errorf("%s of a secret scheduled for deletion: %v, want ErrInvalidRequest", name, err)
		}
	}
	if d, err := s.Describe(ctx, "gone"); err != nil || d.Deleted.IsZero() {
		t.Errorf("Describe of a secret scheduled for deletion = %+v, %v", d, err)
	}
	list := func(q secret.List) []string {
		secs, _, err := s.List(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, sec := range secs {
			out = append(out, sec.Name)
		}
		return out
	}
	if got := list(secret.List{}); len(got) != 0 {
		t.Errorf("List = %q, want none", got)
	}
	if got := list(secret.List{IncludeDeleted: true}); !cmp.Equal(got, []string{"gone"}) {
		t.Errorf("List with deleted = %q", got)
	}
	if _, err := s.Restore(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if v, err := get(t, s, "gone", "", ""); err != nil || v != "x" {
		t.Errorf("Get after Restore = %q, %v", v, err)
	}
	// Past the recovery window the secret is gone for good.
	if _, _, err := s.Delete(ctx, "gone", nil, false, "", ""); err != nil {
		t.Fatal(err)
	}
	c.t = c.t.Add(31 * 24 * time.Hour)
	if _, err := s.Describe(ctx, "gone"); !errors.Is(err, secret.ErrNotFound) {
		t.Errorf("Describe after the recovery window: %v, want ErrNotFound", err)
	}
	create(t, s, "gone", "new")
	// Force deletes at once, also a secret that does not exist.
	if _, _, err := s.Delete(ctx, "gone", nil, true, "", ""); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Restore(ctx, "gone"); !errors.Is(err, secret.ErrNotFound) {
		t.Errorf("Restore after a forced delete: %v", err)
	}
	if _, _, err := s.Delete(ctx, "never", nil, true, "eu-west-1", "123456789012"); err != nil {
		t.Errorf("forced Delete of a secret that never was: %v", err)
	}
}

func TestList(t *testing.T) {
	t.Parallel()
	s, _, _, _ := newService(t)
	ctx := t.Context()
	for _, n := range []string{"prod/db", "prod/api", "dev/db", "other"} {
		if _, _, err := s.Create(ctx, secret.Create{Name: n, Description: "for " + n, Tags: []secret.Tag{{Key: "env", Value: strings.Split(n, "/")[0]}}}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		q    secret.List
		want []string
	}{
		{q: secret.List{}, want: []string{"prod/db", "prod/api", "dev/db", "other"}},
		{q: secret.List{Desc: true}, want: []string{"other", "dev/db", "prod/api", "prod/db"}},
		{q: secret.List{SortBy: "name"}, want: []string{"dev/db", "other", "prod/api", "prod/db"}},
		{q: secret.List{Filters: []secret.Filter{{Key: "name", Values: []string{"prod/"}}}}, want: []string{"prod/db", "prod/api"}},
		{q: secret.List{Filters: []secret.Filter{{Key: "name", Values: []string{"!prod/"}}}}, want: []string{"dev/db", "other"}},
		{q: secret.List{Filters: []secret.Filter{{Key: "tag-value", Values: []string{"dev", "other"}}}}, want: []string{"dev/db", "other"}},
		{q: secret.List{Filters: []secret.Filter{{Key: "description", Values: []string{"for prod"}}, {Key: "name", Values: []string{"!prod/api"}}}}, want: []string{"prod/db"}},
		{q: secret.List{Filters: []secret.Filter{{Key: "all", Values: []string{"env"}}}}, want: []string{"prod/db", "prod/api", "dev/db", "other"}},
	}
	for _, tt := range tests {
		var got []string
		q := tt.q
		q.Limit = 1
		for i := 0; i < 10; i++ {
			secs, next, err := s.List(ctx, q)
			if err != nil {
				t.Fatalf("List(%+v): %v", tt.q, err)
			}
			for _, sec := range secs {
				got = append(got, sec.Name)
			}
			if next == "" {
				break
			}
			q.Token = next
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("List(%+v) mismatch (-want +got):\n%s", tt.q, diff)
		}
	}
	if _, _, err := s.List(ctx, secret.List{Token: "x"}); !errors.Is(err, secret.ErrBadToken) {
		t.Errorf("List with a bad token: %v", err)
	}
}

func TestSealedAtRest(t *testing.T) {
	t.Parallel()
	s, st, _, dir := newService(t)
	const v1, v2 = "first-secret-8e1f0a", "second-secret-27c4d9"
	create(t, s, "a", v1)
	if _, _, err := s.Put(t.Context(), secret.Put{ID: "a", Value: secret.Value{String: v2}}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	files, _ := filepath.Glob(filepath.Join(dir, "codeyard.db*"))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []string{v1, v2} {
			if bytes.Contains(data, []byte(v)) {
				t.Errorf("%s holds %q in clear text", filepath.Base(f), v)
			}
		}
	}
}
