// Package seal encrypts secrets at rest: access key secrets, SecureString
// parameters and secret values are sealed with AES-256-GCM under a key
// derived (HKDF-SHA256) from the server's master key, and bound to the
// record they belong to by additional data, so a sealed value copied to
// another record does not open.
package seal

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Key seals and opens values.
type Key struct {
	aead cipher.AEAD
}

// KeySize is the size of a master key in bytes.
const KeySize = 32

// New returns a Key derived from a master key of KeySize bytes.
func New(master []byte) (*Key, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("master key is %d bytes, want %d", len(master), KeySize)
	}
	k, err := hkdf.Key(sha256.New, master, nil, "codeyard seal v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(k)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCMWithRandomNonce(block)
	if err != nil {
		return nil, err
	}
	return &Key{aead: aead}, nil
}

// Load returns the master key: from env (base64 of KeySize bytes) when it
// is set, else from the file at path, which is created with a new random
// key (mode 0600) when it does not exist.
func Load(env, path string) (*Key, error) {
	if env != "" {
		b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(env))
		if err != nil || len(b) != KeySize {
			return nil, fmt.Errorf("CODEYARD_MASTER_KEY must be the base64 of %d random bytes (openssl rand -base64 32)", KeySize)
		}
		return New(b)
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		master := make([]byte, KeySize)
		rand.Read(master)
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, err
		}
		_, werr := f.WriteString(base64.StdEncoding.EncodeToString(master) + "\n")
		if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
			os.Remove(path)
			return nil, err
		}
		return New(master)
	}
	if err != nil {
		return nil, err
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil || len(b) != KeySize {
		return nil, fmt.Errorf("master key file %s is damaged: want the base64 of %d bytes", path, KeySize)
	}
	return New(b)
}

// Seal encrypts plaintext bound to aad (the record's identity).
func (k *Key) Seal(plaintext, aad []byte) []byte {
	return k.aead.Seal(nil, nil, plaintext, aad)
}

// ErrOpen is returned for a sealed value that does not open: damaged,
// sealed under another key, or for another record.
var ErrOpen = errors.New("sealed value does not open")

// Open decrypts a sealed value bound to aad.
func (k *Key) Open(sealed, aad []byte) ([]byte, error) {
	p, err := k.aead.Open(nil, nil, sealed, aad)
	if err != nil {
		return nil, ErrOpen
	}
	return p, nil
}
