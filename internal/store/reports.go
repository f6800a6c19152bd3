package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/codeyard/codeyard/internal/codebuild"
)

// CreateReportGroup stores a new report group.
func (s *Store) CreateReportGroup(ctx context.Context, g *codebuild.ReportGroupRecord) error {
	_, err := s.w.ExecContext(ctx, "INSERT INTO report_groups (arn, name, type, created, modified, doc) VALUES (?, ?, ?, ?, ?, ?)",
		g.ARN, g.Name, g.Type, ms(g.Created), ms(g.Modified), g.Doc)
	if isUnique(err) {
		return fmt.Errorf("report group %s: %w", g.Name, codebuild.ErrExists)
	}
	return err
}

// UpdateReportGroup replaces a report group's document.
func (s *Store) UpdateReportGroup(ctx context.Context, g *codebuild.ReportGroupRecord) error {
	res, err := s.w.ExecContext(ctx, "UPDATE report_groups SET modified = ?, doc = ? WHERE arn = ?", ms(g.Modified), g.Doc, g.ARN)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("report group %s: %w", g.ARN, codebuild.ErrNotFound)
	}
	return nil
}

// DeleteReportGroup deletes a report group, and its reports when
// deleteReports is set; without it a group that has reports is not
// deleted (codebuild.ErrExists).
func (s *Store) DeleteReportGroup(ctx context.Context, arn string, deleteReports bool) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM reports WHERE group_arn = ?", arn).Scan(&n); err != nil {
			return err
		}
		if n > 0 && !deleteReports {
			return fmt.Errorf("report group %s has %d reports: %w", arn, n, codebuild.ErrExists)
		}
		for _, q := range []string{
			"DELETE FROM test_cases WHERE report_arn IN (SELECT arn FROM reports WHERE group_arn = ?)",
			"DELETE FROM coverages WHERE report_arn IN (SELECT arn FROM reports WHERE group_arn = ?)",
			"DELETE FROM reports WHERE group_arn = ?",
			"DELETE FROM report_groups WHERE arn = ?",
		} {
			if _, err := tx.ExecContext(ctx, q, arn); err != nil {
				return err
			}
		}
		return nil
	})
}

// ReportGroups returns the report groups of the given ARNs that exist, in
// the order asked.
func (s *Store) ReportGroups(ctx context.Context, arns []string) ([]*codebuild.ReportGroupRecord, error) {
	if len(arns) == 0 {
		return nil, nil
	}
	rows, err := s.r.QueryContext(ctx, "SELECT arn, name, type, created, modified, doc FROM report_groups WHERE arn IN ("+placeholders(len(arns))+")", anys(arns)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := map[string]*codebuild.ReportGroupRecord{}
	for rows.Next() {
		var g codebuild.ReportGroupRecord
		var c, m int64
		if err := rows.Scan(&g.ARN, &g.Name, &g.Type, &c, &m, &g.Doc); err != nil {
			return nil, err
		}
		g.Created, g.Modified = fromMS(c), fromMS(m)
		found[g.ARN] = &g
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []*codebuild.ReportGroupRecord
	for _, a := range arns {
		if g := found[a]; g != nil {
			out = append(out, g)
			delete(found, a)
		}
	}
	return out, nil
}

// ListReportGroups lists report group ARNs sorted by NAME, CREATED_TIME
// or LAST_MODIFIED_TIME.
func (s *Store) ListReportGroups(ctx context.Context, sortBy string, p codebuild.Page) ([]string, string, error) {
	col := map[string]string{"NAME": "name", "CREATED_TIME": "created", "LAST_MODIFIED_TIME": "modified"}[sortBy]
	if col == "" {
		col = "created"
	}
	dir, cmp := order(p.Desc)
	where, args := "1=1", []any{}
	if p.Token != "" {
		parts, err := decodeToken(p.Token, 2)
		if err != nil {
			return nil, "", err
		}
		seq, err := strconv.ParseInt(parts[1], 10, 64)
		if err != nil {
			return nil, "", codebuild.ErrBadToken
		}
		var key any = parts[0]
		if col != "name" {
			v, err := strconv.ParseInt(parts[0], 10, 64)
			if err != nil {
				return nil, "", codebuild.ErrBadToken
			}
			key = v
		}
		where = fmt.Sprintf("(%s %s ? OR (%s = ? AND seq %s ?))", col, cmp, col, cmp)
		args = []any{key, key, seq}
	}
	n := limit(p, 100)
	q := fmt.Sprintf("SELECT arn, %s, seq FROM report_groups WHERE %s ORDER BY %s %s, seq %s LIMIT ?", col, where, col, dir, dir)
	rows, err := s.r.QueryContext(ctx, q, append(args, n+1)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var arns, keys, seqs []string
	for rows.Next() {
		var arn, key string
		var seq int64
		if err := rows.Scan(&arn, &key, &seq); err != nil {
			return nil, "", err
		}
		arns, keys, seqs = append(arns, arn), append(keys, key), append(seqs, strconv.FormatInt(seq, 10))
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(arns) > n {
		arns = arns[:n]
		next = encodeToken(keys[n-1], seqs[n-1])
	}
	return arns, next, nil
}

// PutReport stores a report with its cases and coverages, and its group
// when the group does not exist yet.
func (s *Store) PutReport(ctx context.Context, r *codebuild.ReportRecord, group *codebuild.ReportGroupRecord) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if group != nil {
			if _, err := tx.ExecContext(ctx, "INSERT INTO report_groups (arn, name, type, created, modified, doc) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (arn) DO NOTHING",
				group.ARN, group.Name, group.Type, ms(group.Created), ms(group.Modified), group.Doc); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO reports (arn, group_arn, type, status, created, doc) VALUES (?, ?, ?, ?, ?, ?)",
			r.ARN, r.GroupARN, r.Type, r.Status, ms(r.Created), r.Doc); err != nil {
			return err
		}
		if len(r.Cases) > 0 {
			st, err := tx.PrepareContext(ctx, "INSERT INTO test_cases (report_arn, name, prefix, status, duration, doc) VALUES (?, ?, ?, ?, ?, ?)")
			if err != nil {
				return err
			}
			defer st.Close()
			for _, c := range r.Cases {
				if _, err := st.ExecContext(ctx, r.ARN, c.Name, c.Prefix, c.Status, c.Duration, c.Doc); err != nil {
					return err
				}
			}
		}
		if len(r.Coverages) > 0 {
			st, err := tx.PrepareContext(ctx, "INSERT INTO coverages (report_arn, path, line_cover, doc) VALUES (?, ?, ?, ?)")
			if err != nil {
				return err
			}
			defer st.Close()
			for _, c := range r.Coverages {
				if _, err := st.ExecContext(ctx, r.ARN, c.Path, c.LineCover, c.Doc); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// Reports returns the reports of the given ARNs that exist, in the order
// asked, without their cases.
func (s *Store) Reports(ctx context.Context, arns []string) ([]*codebuild.ReportRecord, error) {
	if len(arns) == 0 {
		return nil, nil
	}
	rows, err := s.r.QueryContext(ctx, "SELECT arn, group_arn, type, status, created, doc FROM reports WHERE arn IN ("+placeholders(len(arns))+")", anys(arns)...)
	if err != nil {
		return nil, err
	}
	found, err := scanReports(rows)
	if err != nil {
		return nil, err
	}
	byARN := map[string]*codebuild.ReportRecord{}
	for _, r := range found {
		byARN[r.ARN] = r
	}
	var out []*codebuild.ReportRecord
	for _, a := range arns {
		if r := byARN[a]; r != nil {
			out = append(out, r)
			delete(byARN, a)
		}
	}
	return out, nil
}

func scanReports(rows *sql.Rows) ([]*codebuild.ReportRecord, error) {
	defer rows.Close()
	var out []*codebuild.ReportRecord
	for rows.Next() {
		var r codebuild.ReportRecord
		var c int64
		if err := rows.Scan(&r.ARN, &r.GroupARN, &r.Type, &r.Status, &c, &r.Doc); err != nil {
			return nil, err
		}
		r.Created = fromMS(c)
		out = append(out, &r)
	}
	return out, rows.Err()
}

// ListReports lists report ARNs, newest first when p.Desc.
func (s *Store) ListReports(ctx context.Context, groupARN, status string, p codebuild.Page) ([]string, string, error) {
	where, args := "1=1", []any{}
	if groupARN != "" {
		where, args = where+" AND group_arn = ?", append(args, groupARN)
	}
	if status != "" {
		where, args = where+" AND status = ?", append(args, status)
	}
	return s.listSeq(ctx, "reports", "arn", where, args, p)
}

// DeleteReport deletes a report and its cases and coverages.
func (s *Store) DeleteReport(ctx context.Context, arn string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{
			"DELETE FROM test_cases WHERE report_arn = ?",
			"DELETE FROM coverages WHERE report_arn = ?",
			"DELETE FROM reports WHERE arn = ?",
		} {
			if _, err := tx.ExecContext(ctx, q, arn); err != nil {
				return err
			}
		}
		return nil
	})
}

// TestCases lists a report's test cases in the order they were reported.
func (s *Store) TestCases(ctx context.Context, reportARN, status, keyword string, p codebuild.Page) ([][]byte, string, error) {
	where, args := "report_arn = ?", []any{reportARN}
	if status != "" {
		where, args = where+" AND status = ?", append(args, status)
	}
	if keyword != "" {
		where, args = where+" AND (instr(name, ?) > 0 OR instr(prefix, ?) > 0)", append(args, keyword, keyword)
	}
	return s.listDocs(ctx, "test_cases", where, args, "seq", p)
}

// Coverages lists a report's code coverages.
func (s *Store) Coverages(ctx context.Context, reportARN string, minCover, maxCover float64, sortBy string, p codebuild.Page) ([][]byte, string, error) {
	where, args := "report_arn = ? AND line_cover >= ? AND line_cover <= ?", []any{reportARN, minCover, maxCover}
	sort := "path"
	if sortBy == "LINE_COVERAGE_PERCENTAGE" {
		sort = "line_cover"
	}
	return s.listDocs(ctx, "coverages", where, args, sort, p)
}

// listDocs pages through docs sorted by one column, with seq breaking
// ties; tokens hold the offset.
func (s *Store) listDocs(ctx context.Context, table, where string, args []any, sort string, p codebuild.Page) ([][]byte, string, error) {
	dir, _ := order(p.Desc)
	offset := int64(0)
	if p.Token != "" {
		v, err := seqToken(p.Token)
		if err != nil || v < 0 {
			return nil, "", codebuild.ErrBadToken
		}
		offset = v
	}
	n := limit(p, 100)
	q := fmt.Sprintf("SELECT doc FROM %s WHERE %s ORDER BY %s %s, seq %s LIMIT ? OFFSET ?", table, where, sort, dir, dir)
	rows, err := s.r.QueryContext(ctx, q, append(args, n+1, offset)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var docs [][]byte
	for rows.Next() {
		var d []byte
		if err := rows.Scan(&d); err != nil {
			return nil, "", err
		}
		docs = append(docs, d)
	}
	if err := rows.Err(); err != nil {
		return nil, "", err
	}
	next := ""
	if len(docs) > n {
		docs = docs[:n]
		next = encodeToken(strconv.FormatInt(offset+int64(n), 10))
	}
	return docs, next, nil
}

// RecentReports returns the newest reports of a group.
func (s *Store) RecentReports(ctx context.Context, groupARN string, n int) ([]*codebuild.ReportRecord, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT arn, group_arn, type, status, created, doc FROM reports WHERE group_arn = ? ORDER BY seq DESC LIMIT ?", groupARN, n)
	if err != nil {
		return nil, err
	}
	return scanReports(rows)
}
