package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/codeyard/codeyard/internal/codebuild"
)

// CreateBuild stores a new build with the project's next number, and a
// queued job for it when queue is set.
func (s *Store) CreateBuild(ctx context.Context, project string, q *codebuild.Queue, make func(number int64) (*codebuild.BuildRecord, error)) (*codebuild.BuildRecord, error) {
	var b *codebuild.BuildRecord
	err := s.tx(ctx, func(tx *sql.Tx) error {
		n, err := nextNumber(ctx, tx, project, "last_build_number")
		if err != nil {
			return err
		}
		if b, err = make(n); err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, "INSERT INTO builds (id, arn, project, number, status, start, batch_arn, doc, run) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
			b.ID, b.ARN, b.Project, b.Number, b.Status, ms(b.Start), b.BatchARN, b.Doc, b.Run).Scan(&b.Seq)
		if err != nil {
			return err
		}
		if q != nil {
			_, err = tx.ExecContext(ctx, "INSERT INTO jobs (build_id, project, max_running, state, created) VALUES (?, ?, ?, 'queued', ?)",
				b.ID, b.Project, q.MaxRunning, ms(time.Now()))
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// UpdateBuild replaces a build's status and document.
func (s *Store) UpdateBuild(ctx context.Context, b *codebuild.BuildRecord) error {
	_, err := s.w.ExecContext(ctx, "UPDATE builds SET status = ?, doc = ? WHERE id = ?", b.Status, b.Doc, b.ID)
	return err
}

const buildColumns = "SELECT seq, id, arn, project, number, status, start, batch_arn, doc, run FROM builds"

// Builds returns the builds of the given ids that exist, in the order
// asked.
func (s *Store) Builds(ctx context.Context, ids []string) ([]*codebuild.BuildRecord, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows *sql.Rows
	var err error
	if len(ids) == 1 {
		rows, err = s.buildByID.QueryContext(ctx, ids[0])
	} else {
		rows, err = s.r.QueryContext(ctx, buildColumns+" WHERE id IN ("+placeholders(len(ids))+")", anys(ids)...)
	}
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := map[string]*codebuild.BuildRecord{}
	for rows.Next() {
		var b codebuild.BuildRecord
		var start int64
		if err := rows.Scan(&b.Seq, &b.ID, &b.ARN, &b.Project, &b.Number, &b.Status, &start, &b.BatchARN, &b.Doc, &b.Run); err != nil {
			return nil, err
		}
		b.Start = fromMS(start)
		found[b.ID] = &b
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []*codebuild.BuildRecord
	for _, id := range ids {
		if b := found[id]; b != nil {
			out = append(out, b)
			delete(found, id)
		}
	}
	return out, nil
}

// ListBuilds lists build ids, of one project when project is set.
func (s *Store) ListBuilds(ctx context.Context, project string, p codebuild.Page) ([]string, string, error) {
	where, args := "1=1", []any{}
	if project != "" {
		where, args = "project = ?", []any{project}
	}
	return s.listSeq(ctx, "builds", "id", where, args, p)
}

// DeleteBuilds deletes builds and their jobs.
func (s *Store) DeleteBuilds(ctx context.Context, ids []string) ([]string, error) {
	var deleted []string
	err := s.tx(ctx, func(tx *sql.Tx) error {
		deleted = nil
		for _, id := range ids {
			res, err := tx.ExecContext(ctx, "DELETE FROM builds WHERE id = ?", id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n > 0 {
				deleted = append(deleted, id)
			}
			if _, err := tx.ExecContext(ctx, "DELETE FROM jobs WHERE build_id = ?", id); err != nil {
				return err
			}
		}
		return nil
	})
	return deleted, err
}

// ClaimJob marks the oldest queued job running on owner and returns it.
func (s *Store) ClaimJob(ctx context.Context, owner string) (*codebuild.Job, error) {
	var j codebuild.Job
	var created int64
	err := s.w.QueryRowContext(ctx, `UPDATE jobs SET state = 'running', owner = ?
		WHERE id = (SELECT id FROM jobs j WHERE state = 'queued' AND (max_running = 0 OR
			(SELECT count(*) FROM jobs r WHERE r.state = 'running' AND r.project = j.project) < max_running)
			ORDER BY id LIMIT 1)
		RETURNING id, build_id, created`, owner).Scan(&j.ID, &j.BuildID, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	j.Created = fromMS(created)
	return &j, nil
}

// QueuedJobs returns the jobs waiting for a worker, oldest first.
func (s *Store) QueuedJobs(ctx context.Context) ([]codebuild.Job, error) {
	return s.jobs(ctx, "SELECT id, build_id, created FROM jobs WHERE state = 'queued' ORDER BY id")
}

// SetQueueLimit sets the concurrent build limit of a project's queued
// jobs.
func (s *Store) SetQueueLimit(ctx context.Context, project string, maxRunning int) error {
	_, err := s.w.ExecContext(ctx, "UPDATE jobs SET max_running = ? WHERE project = ? AND state = 'queued'", maxRunning, project)
	return err
}

// CancelJob removes a build's job if it is still queued.
func (s *Store) CancelJob(ctx context.Context, buildID string) (bool, error) {
	res, err := s.w.ExecContext(ctx, "DELETE FROM jobs WHERE build_id = ? AND state = 'queued'", buildID)
	if err != nil {
		return false, err
	}
	n, _ := res.RowsAffected()
	return n > 0, nil
}

// FinishJob removes a job.
func (s *Store) FinishJob(ctx context.Context, id int64) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM jobs WHERE id = ?", id)
	return err
}

// OrphanJobs returns the jobs that were running on another owner, oldest
// first. It leaves them: the caller ends each one's build, then finishes
// the job.
func (s *Store) OrphanJobs(ctx context.Context, owner string) ([]codebuild.Job, error) {
	return s.jobs(ctx, "SELECT id, build_id, created FROM jobs WHERE state = 'running' AND owner != ? ORDER BY id", owner)
}

// jobs runs a query of jobs (id, build_id, created) on the writer, which
// sees every committed claim.
func (s *Store) jobs(ctx context.Context, query string, args ...any) ([]codebuild.Job, error) {
	rows, err := s.w.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var jobs []codebuild.Job
	for rows.Next() {
		var j codebuild.Job
		var created int64
		if err := rows.Scan(&j.ID, &j.BuildID, &created); err != nil {
			return nil, err
		}
		j.Created = fromMS(created)
		jobs = append(jobs, j)
	}
	return jobs, rows.Err()
}

// CreateBatch stores a new build batch with the project's next batch
// number.
func (s *Store) CreateBatch(ctx context.Context, project string, make func(number int64) (*codebuild.BatchRecord, error)) (*codebuild.BatchRecord, error) {
	var b *codebuild.BatchRecord
	err := s.tx(ctx, func(tx *sql.Tx) error {
		n, err := nextNumber(ctx, tx, project, "last_batch_number")
		if err != nil {
			return err
		}
		if b, err = make(n); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, "INSERT INTO batches (id, arn, project, number, status, start, doc) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq",
			b.ID, b.ARN, b.Project, b.Number, b.Status, ms(b.Start), b.Doc).Scan(&b.Seq)
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// UpdateBatch replaces a batch's status and document.
func (s *Store) UpdateBatch(ctx context.Context, b *codebuild.BatchRecord) error {
	_, err := s.w.ExecContext(ctx, "UPDATE batches SET status = ?, doc = ? WHERE id = ?", b.Status, b.Doc, b.ID)
	return err
}

// Batches returns the batches of the given ids that exist, in the order
// asked.
func (s *Store) Batches(ctx context.Context, ids []string) ([]*codebuild.BatchRecord, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	rows, err := s.r.QueryContext(ctx, "SELECT seq, id, arn, project, number, status, start, doc FROM batches WHERE id IN ("+placeholders(len(ids))+")", anys(ids)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := map[string]*codebuild.BatchRecord{}
	for rows.Next() {
		var b codebuild.BatchRecord
		var start int64
		if err := rows.Scan(&b.Seq, &b.ID, &b.ARN, &b.Project, &b.Number, &b.Status, &start, &b.Doc); err != nil {
			return nil, err
		}
		b.Start = fromMS(start)
		found[b.ID] = &b
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var out []*codebuild.BatchRecord
	for _, id := range ids {
		if b := found[id]; b != nil {
			out = append(out, b)
			delete(found, id)
		}
	}
	return out, nil
}

// ListBatches lists batch ids, of one project when project is set.
func (s *Store) ListBatches(ctx context.Context, project string, p codebuild.Page) ([]string, string, error) {
	where, args := "1=1", []any{}
	if project != "" {
		where, args = "project = ?", []any{project}
	}
	return s.listSeq(ctx, "batches", "id", where, args, p)
}

// DeleteBatch deletes a batch record (its builds are deleted by the
// caller).
func (s *Store) DeleteBatch(ctx context.Context, id string) error {
	_, err := s.w.ExecContext(ctx, "DELETE FROM batches WHERE id = ?", id)
	return err
}
