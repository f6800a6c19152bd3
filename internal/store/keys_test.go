package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/codeyard/codeyard/internal/store"
)

func TestAccessKeys(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := open(t)
	keys := []*store.AccessKey{
		{ID: "AKIDB", UserName: "bob", Secret: []byte{0, 1, 2, 0xff}, ReadOnly: true, Created: t0},
		{ID: "AKIDA", UserName: "alice", Secret: []byte("sealed"), Created: t0},
		{ID: "AKIDC", UserName: "carol", Secret: []byte("sealed too"), Created: t0.Add(-time.Hour)},
	}
	for _, k := range keys {
		if err := s.CreateAccessKey(ctx, k); err != nil {
			t.Fatalf("CreateAccessKey(%s): %v", k.ID, err)
		}
	}
	if err := s.CreateAccessKey(ctx, keys[0]); err == nil {
		t.Errorf("CreateAccessKey(%s) again succeeded", keys[0].ID)
	}
	bob, alice, carol := keys[0], keys[1], keys[2]

	// Oldest first, the id breaking ties.
	got, err := s.AccessKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]*store.AccessKey{carol, alice, bob}, got); diff != "" {
		t.Errorf("AccessKeys mismatch (-want +got):\n%s", diff)
	}

	tests := []struct {
		id      string
		want    *store.AccessKey
		wantErr error
	}{
		{id: "AKIDA", want: alice},
		{id: "AKIDB", want: bob},
		{id: "AKIDX", wantErr: store.ErrNoKey},
		{id: "", wantErr: store.ErrNoKey},
	}
	for _, tt := range tests {
		got, err := s.AccessKey(ctx, tt.id)
		if !errors.Is(err, tt.wantErr) {
			t.Errorf("AccessKey(%q) error = %v, want %v", tt.id, err, tt.wantErr)
		}
		if diff := cmp.Diff(tt.want, got); diff != "" {
			t.Errorf("AccessKey(%q) mismatch (-want +got):\n%s", tt.id, diff)
		}
	}

	if err := s.DeleteAccessKey(ctx, "AKIDB"); err != nil {
		t.Fatalf("DeleteAccessKey(AKIDB): %v", err)
	}
	if err := s.DeleteAccessKey(ctx, "AKIDB"); !errors.Is(err, store.ErrNoKey) {
		t.Errorf("DeleteAccessKey(AKIDB) again = %v, want ErrNoKey", err)
	}
	if _, err := s.AccessKey(ctx, "AKIDB"); !errors.Is(err, store.ErrNoKey) {
		t.Errorf("AccessKey(AKIDB) after delete = %v, want ErrNoKey", err)
	}
	got, err = s.AccessKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]*store.AccessKey{carol, alice}, got); diff != "" {
		t.Errorf("AccessKeys after delete mismatch (-want +got):\n%s", diff)
	}
}
