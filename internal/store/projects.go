package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/codeyard/codeyard/internal/codebuild"
)

func isUnique(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// CreateProject stores a new project.
func (s *Store) CreateProject(ctx context.Context, p *codebuild.ProjectRecord) error {
	_, err := s.w.ExecContext(ctx, "INSERT INTO projects (name, arn, created, modified, doc) VALUES (?, ?, ?, ?, ?)",
		p.Name, p.ARN, ms(p.Created), ms(p.Modified), p.Doc)
	if isUnique(err) {
		return fmt.Errorf("project %s: %w", p.Name, codebuild.ErrExists)
	}
	return err
}

// UpdateProject replaces a project's document.
func (s *Store) UpdateProject(ctx context.Context, p *codebuild.ProjectRecord) error {
	res, err := s.w.ExecContext(ctx, "UPDATE projects SET modified = ?, doc = ? WHERE name = ?", ms(p.Modified), p.Doc, p.Name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("project %s: %w", p.Name, codebuild.ErrNotFound)
	}
	return nil
}

// DeleteProject deletes a project; its builds stay.
func (s *Store) DeleteProject(ctx context.Context, name string) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM projects WHERE name = ?", name)
	return err
}

// Projects returns the projects of the given names that exist, in the
// order asked.
func (s *Store) Projects(ctx context.Context, names []string) ([]*codebuild.ProjectRecord, error) {
	if len(names) == 0 {
		return nil, nil
	}
	rows, err := s.r.QueryContext(ctx, "SELECT name, arn, created, modified, doc FROM projects WHERE name IN ("+placeholders(len(names))+")", anys(names)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := map[string]*codebuild.ProjectRecord{}
	for rows.Next() {
		var p codebuild.ProjectRecord
		var c, m int64
		if err := rows.Scan(&p.Name, &p.ARN, &c, &m, &p.Doc); err != nil {
			return nil, err
		}
		p.Created, p.Modified = fromMS(c), fromMS(m)
		found[p.Name] = &p
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []*codebuild.ProjectRecord
	for _, n := range names {
		if p := found[n]; p != nil {
			out = append(out, p)
			delete(found, n)
		}
	}
	return out, nil
}

// ListProjects lists project names sorted by NAME, CREATED_TIME or
// LAST_MODIFIED_TIME, the name breaking ties.
func (s *Store) ListProjects(ctx context.Context, sortBy string, p codebuild.Page) ([]string, string, error) {
	col := map[string]string{"NAME": "name", "CREATED_TIME": "created", "LAST_MODIFIED_TIME": "modified"}[sortBy]
	if col == "" {
		col = "name"
	}
	dir, cmp := order(p.Desc)
	where, args := "1=1", []any{}
	if p.Token != "" {
		parts, err := decodeToken(p.Token, 2)
		if err != nil {
			return nil, "", err
		}
		if col == "name" {
			where, args = "name "+cmp+" ?", []any{parts[1]}
		} else {
			v, err := strconv.ParseInt(parts[0], 10, 64)
			if err != nil {
				return nil, "", codebuild.ErrBadToken
			}
			where = fmt.Sprintf("(%s %s ? OR (%s = ? AND name %s ?))", col, cmp, col, cmp)
			args = []any{v, v, parts[1]}
		}
	}
	n := limit(p, 100)
	q := fmt.Sprintf("SELECT name, %s FROM projects WHERE %s ORDER BY %s %s, name %s LIMIT ?", sortCol(col), where, col, dir, dir)
	rows, err := s.r.QueryContext(ctx, q, append(args, n+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var names, keys []string
	for rows.Next() {
		var name string
		var key int64
		if err := rows.Scan(&name, &key); err != nil {
			return nil, "", err
		}
		names, keys = append(names, name), append(keys, strconv.FormatInt(key, 10))
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(names) > n {
		names = names[:n]
		next = encodeToken(keys[n-1], names[n-1])
	}
	return names, next, nil
}

func sortCol(col string) string {
	if col == "name" {
		return "0"
	}
	return col
}

// nextNumber takes a project's next build or batch number in tx.
func nextNumber(ctx context.Context, tx *sql.Tx, project, col string) (int64, error) {
	var n int64
	err := tx.QueryRowContext(ctx, "UPDATE projects SET "+col+" = "+col+" + 1 WHERE name = ? RETURNING "+col, project).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, fmt.Errorf("project %s: %w", project, codebuild.ErrNotFound)
	}
	return n, err
}
