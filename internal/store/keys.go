package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrNoKey is returned for an access key that does not exist.
var ErrNoKey = errors.New("no such access key")

// AccessKey is a stored access key; Secret is sealed.
type AccessKey struct {
	ID       string
	UserName string
	Secret   []byte
	ReadOnly bool
	Created  time.Time
}

// CreateAccessKey stores a new access key.
func (s *Store) CreateAccessKey(ctx context.Context, k *AccessKey) error {
	_, err := s.w.ExecContext(ctx, "INSERT INTO access_keys (id, user_name, secret, read_only, created) VALUES (?, ?, ?, ?, ?)",
		k.ID, k.UserName, k.Secret, k.ReadOnly, ms(k.Created))
	return err
}

// AccessKeys returns every access key, oldest first.
func (s *Store) AccessKeys(ctx context.Context) ([]*AccessKey, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT id, user_name, secret, read_only, created FROM access_keys ORDER BY created, id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*AccessKey
	for rows.Next() {
		var k AccessKey
		var c int64
		if err := rows.Scan(&k.ID, &k.UserName, &k.Secret, &k.ReadOnly, &c); err != nil {
			return nil, err
		}
		k.Created = fromMS(c)
		out = append(out, &k)
	}
	return out, rows.Err()
}

// AccessKey returns one access key.
func (s *Store) AccessKey(ctx context.Context, id string) (*AccessKey, error) {
	var k AccessKey
	var c int64
	err := s.r.QueryRowContext(ctx, "SELECT id, user_name, secret, read_only, created FROM access_keys WHERE id = ?", id).
		Scan(&k.ID, &k.UserName, &k.Secret, &k.ReadOnly, &c)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("access key %s: %w", id, ErrNoKey)
	}
	if err != nil {
		return nil, err
	}
	k.Created = fromMS(c)
	return &k, nil
}

// DeleteAccessKey deletes an access key.
func (s *Store) DeleteAccessKey(ctx context.Context, id string) error {
	res, err := s.w.ExecContext(ctx, "DELETE FROM access_keys WHERE id = ?", id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("access key %s: %w", id, ErrNoKey)
	}
	return nil
}
