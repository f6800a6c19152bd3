package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// ErrNoUser is returned for a web user or session that does not exist
// (or has expired).
var ErrNoUser = errors.New("no such user")

// User is a web UI user; Password is its bcrypt hash.
type User struct {
	Name     string
	Password string
	ReadOnly bool
	Created  time.Time
}

// Session is a signed-in web UI session, found by the hash of its
// cookie.
type Session struct {
	IDHash   []byte
	UserName string
	CSRF     string
	Created  time.Time
	Expires  time.Time
}

// CreateUser stores a new web user: ErrExists-like uniqueness errors
// are reported as an error naming the user.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	_, err := s.w.ExecContext(ctx, "INSERT INTO web_users (name, password, read_only, created) VALUES (?, ?, ?, ?)",
		u.Name, u.Password, u.ReadOnly, ms(u.Created))
	if isUnique(err) {
		return fmt.Errorf("user %s already exists", u.Name)
	}
	return err
}

// SetPassword replaces a user's password hash and signs it out
// everywhere.
func (s *Store) SetPassword(ctx context.Context, name, hash string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE web_users SET password = ? WHERE name = ?", hash, name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("user %s: %w", name, ErrNoUser)
		}
		_, err = tx.ExecContext(ctx, "DELETE FROM web_sessions WHERE user_name = ?", name)
		return err
	})
}

// Users returns every web user, oldest first.
func (s *Store) Users(ctx context.Context) ([]*User, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT name, password, read_only, created FROM web_users ORDER BY created, name")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*User
	for rows.Next() {
		var u User
		var c int64
		if err := rows.Scan(&u.Name, &u.Password, &u.ReadOnly, &c); err != nil {
			return nil, err
		}
		u.Created = fromMS(c)
		out = append(out, &u)
	}
	return out, rows.Err()
}

// User returns one web user.
func (s *Store) User(ctx context.Context, name string) (*User, error) {
	var u User
	var c int64
	err := s.r.QueryRowContext(ctx, "SELECT name, password, read_only, created FROM web_users WHERE name = ?", name).
		Scan(&u.Name, &u.Password, &u.ReadOnly, &c)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("user %s: %w", name, ErrNoUser)
	}
	if err != nil {
		return nil, err
	}
	u.Created = fromMS(c)
	return &u, nil
}

// DeleteUser deletes a web user and its sessions.
func (s *Store) DeleteUser(ctx context.Context, name string) error {
	res, err := s.w.ExecContext(ctx, "DELETE FROM web_users WHERE name = ?", name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("user %s: %w", name, ErrNoUser)
	}
	return nil
}

// CreateSession stores a new session, and forgets expired ones.
func (s *Store) CreateSession(ctx context.Context, se *Session) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM web_sessions WHERE expires < ?", ms(se.Created)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO web_sessions (id_hash, user_name, csrf, created, expires) VALUES (?, ?, ?, ?, ?)",
			se.IDHash, se.UserName, se.CSRF, ms(se.Created), ms(se.Expires))
		return err
	})
}

// Session returns the session of a cookie's hash with its user, unless
// it has expired at now.
func (s *Store) Session(ctx context.Context, idHash []byte, now time.Time) (*Session, *User, error) {
	var se Session
	var u User
	var sc, se2, uc int64
	err := s.r.QueryRowContext(ctx, `SELECT s.id_hash, s.user_name, s.csrf, s.created, s.expires, u.name, u.password, u.read_only, u.created
		FROM web_sessions s JOIN web_users u ON u.name = s.user_name WHERE s.id_hash = ? AND s.expires > ?`, idHash, ms(now)).
		Scan(&se.IDHash, &se.UserName, &se.CSRF, &sc, &se2, &u.Name, &u.Password, &u.ReadOnly, &uc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, fmt.Errorf("session: %w", ErrNoUser)
	}
	if err != nil {
		return nil, nil, err
	}
	se.Created, se.Expires, u.Created = fromMS(sc), fromMS(se2), fromMS(uc)
	return &se, &u, nil
}

// DeleteSession deletes a session (logout).
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM web_sessions WHERE id_hash = ?", idHash)
	return err
}

// ActiveBuilds returns the ids of the builds that wait for a worker or
// run on one, oldest first.
func (s *Store) ActiveBuilds(ctx context.Context) ([]string, error) {
	jobs, err := s.jobs(ctx, "SELECT id, build_id, created FROM jobs ORDER BY id")
	if err != nil {
		return nil, err
	}
	ids := make([]string, len(jobs))
	for i, j := range jobs {
		ids[i] = j.BuildID
	}
	return ids, nil
}
