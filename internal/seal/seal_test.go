package seal

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestSealOpen(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "master.key")
	k, err := Load("", path)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode = %v, %v; want 0600", fi.Mode(), err)
	}
	secret := []byte("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
	sealed := k.Seal(secret, []byte("key:AKID1"))
	if bytes.Contains(sealed, secret) {
		t.Fatal("sealed value contains the plaintext")
	}
	got, err := k.Open(sealed, []byte("key:AKID1"))
	if err != nil || !bytes.Equal(got, secret) {
		t.Fatalf("Open = %q, %v; want %q", got, err, secret)
	}
	if _, err := k.Open(sealed, []byte("key:AKID2")); !errors.Is(err, ErrOpen) {
		t.Errorf("Open with another record's aad: err = %v, want ErrOpen", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := k.Open(sealed, []byte("key:AKID1")); !errors.Is(err, ErrOpen) {
		t.Errorf("Open of a damaged value: err = %v, want ErrOpen", err)
	}
	// The same file gives the same key.
	k2, err := Load("", path)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := k2.Open(k.Seal(secret, nil), nil); err != nil || !bytes.Equal(got, secret) {
		t.Errorf("reloaded key: Open = %q, %v", got, err)
	}
}

func TestLoadEnv(t *testing.T) {
	t.Parallel()
	master := bytes.Repeat([]byte{7}, KeySize)
	k, err := Load(base64.StdEncoding.EncodeToString(master), filepath.Join(t.TempDir(), "unused"))
	if err != nil {
		t.Fatalf("Load(env): %v", err)
	}
	k2, _ := New(master)
	if _, err := k2.Open(k.Seal([]byte("x"), nil), nil); err != nil {
		t.Errorf("keys from the same master differ: %v", err)
	}
	for _, bad := range []string{"short", base64.StdEncoding.EncodeToString([]byte("too short"))} {
		if _, err := Load(bad, ""); err == nil {
			t.Errorf("Load(%q) succeeded, want an error naming CODEYARD_MASTER_KEY", bad)
		}
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "k"), []byte("garbage"), 0o600)
	if _, err := Load("", filepath.Join(dir, "k")); err == nil {
		t.Error("Load of a damaged key file succeeded")
	}
}
