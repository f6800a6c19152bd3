package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/codeyard/codeyard/internal/codebuild"
)

// deliveryTTL is how long a delivery id is remembered.
const deliveryTTL = 30 * 24 * time.Hour

// updateDoc stores a project's document in tx.
func updateDoc(ctx context.Context, tx *sql.Tx, p *codebuild.ProjectRecord) error {
	res, err := tx.ExecContext(ctx, "UPDATE projects SET modified = ?, doc = ? WHERE name = ?", ms(p.Modified), p.Doc, p.Name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("project %s: %w", p.Name, codebuild.ErrNotFound)
	}
	return nil
}

// CreateWebhook stores a project's new webhook with its document.
func (s *Store) CreateWebhook(ctx context.Context, p *codebuild.ProjectRecord, w *codebuild.WebhookRecord) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		if err := updateDoc(ctx, tx, p); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, "INSERT INTO webhooks (id, project, secret, created, modified) VALUES (?, ?, ?, ?, ?)",
			w.ID, w.Project, w.Secret, ms(w.Created), ms(w.Modified))
		if isUnique(err) {
			return fmt.Errorf("webhook of project %s: %w", w.Project, codebuild.ErrExists)
		}
		return err
	})
}

// UpdateWebhook stores a project's document and its webhook's secret.
func (s *Store) UpdateWebhook(ctx context.Context, p *codebuild.ProjectRecord, w *codebuild.WebhookRecord) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE webhooks SET secret = ?, modified = ? WHERE project = ?", w.Secret, ms(w.Modified), p.Name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("webhook of project %s: %w", p.Name, codebuild.ErrNotFound)
		}
		return updateDoc(ctx, tx, p)
	})
}

// DeleteWebhook deletes a project's webhook and stores its document.
func (s *Store) DeleteWebhook(ctx context.Context, p *codebuild.ProjectRecord) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM webhooks WHERE project = ?", p.Name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("webhook of project %s: %w", p.Name, codebuild.ErrNotFound)
		}
		return updateDoc(ctx, tx, p)
	})
}

// Webhook returns the webhook of an id.
func (s *Store) Webhook(ctx context.Context, id string) (*codebuild.WebhookRecord, error) {
	var w codebuild.WebhookRecord
	var c, m int64
	err := s.r.QueryRowContext(ctx, "SELECT id, project, secret, created, modified FROM webhooks WHERE id = ?", id).
		Scan(&w.ID, &w.Project, &w.Secret, &c, &m)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("webhook %s: %w", id, codebuild.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	w.Created, w.Modified = fromMS(c), fromMS(m)
	return &w, nil
}

// ClaimDelivery records a delivery about to start a build.
func (s *Store) ClaimDelivery(ctx context.Context, hookID, delivery string, at time.Time) (string, bool, error) {
	var build string
	claimed := false
	err := s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM webhook_deliveries WHERE received < ?", ms(at.Add(-deliveryTTL))); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "INSERT INTO webhook_deliveries (webhook_id, delivery, received) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
			hookID, delivery, ms(at))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			claimed = true
			return nil
		}
		return tx.QueryRowContext(ctx, "SELECT build FROM webhook_deliveries WHERE webhook_id = ? AND delivery = ?", hookID, delivery).Scan(&build)
	})
	return build, claimed, err
}

// FinishDelivery records the build a claimed delivery started, or
// releases the claim.
func (s *Store) FinishDelivery(ctx context.Context, hookID, delivery, build string) error {
	var err error
	if build == "" {
		_, err = s.w.ExecContext(ctx, "DELETE FROM webhook_deliveries WHERE webhook_id = ? AND delivery = ?", hookID, delivery)
	} else {
		_, err = s.w.ExecContext(ctx, "UPDATE webhook_deliveries SET build = ? WHERE webhook_id = ? AND delivery = ?", build, hookID, delivery)
	}
	return err
}
