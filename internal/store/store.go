// Package store keeps codeyard's state in SQLite: projects, builds,
// batches, reports, the build queue and access keys. Each resource is
// stored as its API document (JSON) next to the columns it is found,
// sorted and filtered by. The schema is migrated by goose from the
// numbered files in migrations/sqlite at Open.
//
// SQLite allows one writer at a time, so writes go through a pool of one
// connection, and reads through a pool of several that WAL lets run next
// to the writer.
package store

import (
	"context"
	"database/sql"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	_ "modernc.org/sqlite" // the database/sql driver "sqlite"

	"github.com/codeyard/codeyard/internal/codebuild"
)

//go:embed migrations/sqlite/*.sql
var migrations embed.FS

// Store is codeyard's SQLite database.
type Store struct {
	w *sql.DB // one connection: every write
	r *sql.DB // reads

	buildByID *sql.Stmt // the most frequent query: BatchGetBuilds of one build
}

var _ codebuild.Store = (*Store)(nil)

var uriPath = strings.NewReplacer("%", "%25", "?", "%3F", "#", "%23")

// Open opens (creating if needed) the database file at path and migrates
// it to the current schema.
func Open(ctx context.Context, path string) (*Store, error) {
	q := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(NORMAL)", "foreign_keys(ON)"} {
		q.Add("_pragma", p)
	}
	// The DSN is a URI: escape what SQLite would read as its query (?),
	// fragment (#) or an escape (%), so that path names the file it spells.
	dsn := "file:" + uriPath.Replace(path) + "?" + q.Encode()
	w, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open("sqlite", dsn+"&mode=ro")
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(max(4, runtime.GOMAXPROCS(0)*2))
	r.SetMaxIdleConns(max(4, runtime.GOMAXPROCS(0)*2))
	s := &Store{w: w, r: r}
	sub, _ := fs.Sub(migrations, "migrations/sqlite")
	p, err := goose.NewProvider(goose.DialectSQLite3, w, sub)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("migrations: %w", err)
	}
	if _, err := p.Up(ctx); err != nil {
		s.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	if s.buildByID, err = r.PrepareContext(ctx, buildColumns+" WHERE id = ?"); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error {
	if s.buildByID != nil {
		s.buildByID.Close()
	}
	return errors.Join(s.r.Close(), s.w.Close())
}

// Check runs SQLite's integrity check.
func (s *Store) Check(ctx context.Context) error {
	var res string
	if err := s.r.QueryRowContext(ctx, "PRAGMA integrity_check").Scan(&res); err != nil {
		return err
	}
	if res != "ok" {
		return fmt.Errorf("integrity check: %s", res)
	}
	return nil
}

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v) }

// tx runs f in a write transaction. It rolls back when f fails or
// panics: a transaction left open would hold the one write connection.
func (s *Store) tx(ctx context.Context, f func(tx *sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // after Commit, a no-op
	if err := f(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// placeholders returns "?,?,?" for n values.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?,", n), ",")
}

func anys[T any](vs []T) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = v
	}
	return out
}

// Tokens are the sort key of the last item of the page, opaque to
// clients.
func encodeToken(parts ...string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strings.Join(parts, "\x00")))
}

func decodeToken(tok string, n int) ([]string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		return nil, fmt.Errorf("%w", codebuild.ErrBadToken)
	}
	parts := strings.Split(string(b), "\x00")
	if len(parts) != n {
		return nil, fmt.Errorf("%w", codebuild.ErrBadToken)
	}
	return parts, nil
}

func seqToken(tok string) (int64, error) {
	parts, err := decodeToken(tok, 1)
	if err != nil {
		return 0, err
	}
	v, err := strconv.ParseInt(parts[0], 10, 64)
	if err != nil {
		return 0, codebuild.ErrBadToken
	}
	return v, nil
}

func limit(p codebuild.Page, def int) int {
	if p.Limit <= 0 {
		return def
	}
	return p.Limit
}

func order(desc bool) (string, string) {
	if desc {
		return "DESC", "<"
	}
	return "ASC", ">"
}

// listSeq lists one column of a seq-ordered table, page by page.
func (s *Store) listSeq(ctx context.Context, table, col, where string, args []any, p codebuild.Page) ([]string, string, error) {
	dir, cmp := order(p.Desc)
	if p.Token != "" {
		after, err := seqToken(p.Token)
		if err != nil {
			return nil, "", err
		}
		where += " AND seq " + cmp + " ?"
		args = append(args, after)
	}
	n := limit(p, 100)
	rows, err := s.r.QueryContext(ctx, fmt.Sprintf("SELECT seq, %s FROM %s WHERE %s ORDER BY seq %s LIMIT ?", col, table, where, dir), append(args, n+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var out []string
	var seqs []int64
	for rows.Next() {
		var seq int64
		var v string
		if err := rows.Scan(&seq, &v); err != nil {
			return nil, "", err
		}
		out, seqs = append(out, v), append(seqs, seq)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(out) > n {
		out = out[:n]
		next = encodeToken(strconv.FormatInt(seqs[n-1], 10))
	}
	return out, next, nil
}
