package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/codeyard/codeyard/internal/secret"
)

var _ secret.Store = (*Store)(nil)

const secretColumns = "SELECT arn, name, description, kms_key_id, tags, created, changed, accessed, deleted, deletion FROM secrets"

func msOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return ms(t)
}

func fromMSOrZero(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromMS(v)
}

func (s *Store) querySecrets(ctx context.Context, where string, args ...any) ([]*secret.Secret, error) {
	rows, err := s.r.QueryContext(ctx, secretColumns+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*secret.Secret
	byARN := map[string]*secret.Secret{}
	for rows.Next() {
		var sec secret.Secret
		var tags string
		var created, changed, accessed, deleted, deletion int64
		if err := rows.Scan(&sec.ARN, &sec.Name, &sec.Description, &sec.KmsKeyID, &tags, &created, &changed, &accessed, &deleted, &deletion); err != nil {
			return nil, err
		}
		if err := json.Unmarshal([]byte(tags), &sec.Tags); err != nil {
			return nil, fmt.Errorf("secret %s tags: %w", sec.ARN, err)
		}
		if len(sec.Tags) == 0 {
			sec.Tags = nil
		}
		sec.Created, sec.Changed = fromMS(created), fromMS(changed)
		sec.Accessed, sec.Deleted, sec.Deletion = fromMSOrZero(accessed), fromMSOrZero(deleted), fromMSOrZero(deletion)
		out = append(out, &sec)
		byARN[sec.ARN] = &sec
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	if len(out) == 0 {
		return nil, nil
	}
	// The versions of the secrets found, with their stages.
	q := `SELECT v.secret_arn, v.id, v.created, COALESCE((SELECT json_group_array(stage) FROM (SELECT stage FROM secret_stages st
		WHERE st.secret_arn = v.secret_arn AND st.version_id = v.id ORDER BY stage)), '[]')
		FROM secret_versions v`
	var vargs []any
	if len(out) == 1 {
		q += " WHERE v.secret_arn = ?"
		vargs = []any{out[0].ARN}
	}
	vrows, err := s.r.QueryContext(ctx, q+" ORDER BY v.secret_arn, v.seq", vargs...)
	if err != nil {
		return nil, err
	}
	defer vrows.Close()
	for vrows.Next() {
		var arn, stages string
		var v secret.Version
		var created int64
		if err := vrows.Scan(&arn, &v.ID, &created, &stages); err != nil {
			return nil, err
		}
		v.Created = fromMS(created)
		if err := json.Unmarshal([]byte(stages), &v.Stages); err != nil {
			return nil, err
		}
		if len(v.Stages) == 0 {
			v.Stages = nil
		}
		if sec := byARN[arn]; sec != nil {
			sec.Versions = append(sec.Versions, v)
		}
	}
	return out, vrows.Err()
}

func (s *Store) oneSecret(ctx context.Context, what, where string, arg any) (*secret.Secret, error) {
	ss, err := s.querySecrets(ctx, where, arg)
	if err != nil {
		return nil, err
	}
	if len(ss) == 0 {
		return nil, fmt.Errorf("secret %s: %w", what, secret.ErrNotFound)
	}
	return ss[0], nil
}

// SecretByName returns a secret by name.
func (s *Store) SecretByName(ctx context.Context, name string) (*secret.Secret, error) {
	return s.oneSecret(ctx, name, " WHERE name = ?", name)
}

// SecretByARN returns a secret by ARN.
func (s *Store) SecretByARN(ctx context.Context, arn string) (*secret.Secret, error) {
	return s.oneSecret(ctx, arn, " WHERE arn = ?", arn)
}

// Secrets returns every secret.
func (s *Store) Secrets(ctx context.Context) ([]*secret.Secret, error) {
	return s.querySecrets(ctx, " ORDER BY created, name")
}

func tagsJSON(tags []secret.Tag) (string, error) {
	if tags == nil {
		tags = []secret.Tag{}
	}
	b, err := json.Marshal(tags)
	return string(b), err
}

// CreateSecret stores a new secret and its first version.
func (s *Store) CreateSecret(ctx context.Context, sec *secret.Secret, v *secret.Version, value []byte) error {
	tags, err := tagsJSON(sec.Tags)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO secrets (arn, name, description, kms_key_id, tags, created, changed, accessed, deleted, deletion)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, sec.ARN, sec.Name, sec.Description, sec.KmsKeyID, tags,
			ms(sec.Created), ms(sec.Changed), msOrZero(sec.Accessed), msOrZero(sec.Deleted), msOrZero(sec.Deletion))
		if isUnique(err) {
			return fmt.Errorf("secret %s: %w", sec.Name, secret.ErrExists)
		}
		if err != nil || v == nil {
			return err
		}
		stages := map[string]string{}
		for _, st := range v.Stages {
			stages[st] = v.ID
		}
		return putVersion(ctx, tx, sec.ARN, v, value, stages, nil)
	})
}

func putVersion(ctx context.Context, tx *sql.Tx, arn string, v *secret.Version, value []byte, stages map[string]string, drop []string) error {
	if v != nil {
		if _, err := tx.ExecContext(ctx, `INSERT INTO secret_versions (secret_arn, id, seq, value, created)
			VALUES (?, ?, (SELECT COALESCE(max(seq), 0) + 1 FROM secret_versions WHERE secret_arn = ?), ?, ?)`,
			arn, v.ID, arn, value, ms(v.Created)); err != nil {
			if isUnique(err) {
				return fmt.Errorf("secret %s version %s: %w", arn, v.ID, secret.ErrExists)
			}
			return err
		}
	}
	for stage, id := range stages {
		var err error
		if id == "" {
			_, err = tx.ExecContext(ctx, "DELETE FROM secret_stages WHERE secret_arn = ? AND stage = ?", arn, stage)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO secret_stages (secret_arn, stage, version_id) VALUES (?, ?, ?)
				ON CONFLICT (secret_arn, stage) DO UPDATE SET version_id = excluded.version_id`, arn, stage, id)
		}
		if err != nil {
			return err
		}
	}
	for _, id := range drop {
		if _, err := tx.ExecContext(ctx, "DELETE FROM secret_versions WHERE secret_arn = ? AND id = ?", arn, id); err != nil {
			return err
		}
	}
	return nil
}

// PutVersion adds a version, moves staging labels and drops versions.
func (s *Store) PutVersion(ctx context.Context, arn string, v *secret.Version, value []byte, stages map[string]string, drop []string, changed time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "UPDATE secrets SET changed = ? WHERE arn = ?", ms(changed), arn)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("secret %s: %w", arn, secret.ErrNotFound)
		}
		return putVersion(ctx, tx, arn, v, value, stages, drop)
	})
}

// UpdateSecret writes a secret's own fields.
func (s *Store) UpdateSecret(ctx context.Context, sec *secret.Secret) error {
	tags, err := tagsJSON(sec.Tags)
	if err != nil {
		return err
	}
	res, err := s.w.ExecContext(ctx, `UPDATE secrets SET description = ?, kms_key_id = ?, tags = ?, changed = ?, accessed = ?,
		deleted = ?, deletion = ? WHERE arn = ?`, sec.Description, sec.KmsKeyID, tags, ms(sec.Changed),
		msOrZero(sec.Accessed), msOrZero(sec.Deleted), msOrZero(sec.Deletion), sec.ARN)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("secret %s: %w", sec.ARN, secret.ErrNotFound)
	}
	return nil
}

// TouchSecret sets a secret's last accessed day.
func (s *Store) TouchSecret(ctx context.Context, arn string, day time.Time) error {
	_, err := s.w.ExecContext(ctx, "UPDATE secrets SET accessed = ? WHERE arn = ?", ms(day), arn)
	return err
}

// SecretValue returns the sealed value of a version.
func (s *Store) SecretValue(ctx context.Context, arn, versionID string) ([]byte, error) {
	var v []byte
	err := s.r.QueryRowContext(ctx, "SELECT value FROM secret_versions WHERE secret_arn = ? AND id = ?", arn, versionID).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("secret %s version %s: %w", arn, versionID, secret.ErrNotFound)
	}
	return v, err
}

// DeleteSecret deletes a secret, its versions and stages.
func (s *Store) DeleteSecret(ctx context.Context, arn string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, q := range []string{"DELETE FROM secret_stages WHERE secret_arn = ?", "DELETE FROM secret_versions WHERE secret_arn = ?"} {
			if _, err := tx.ExecContext(ctx, q, arn); err != nil {
				return err
			}
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM secrets WHERE arn = ?", arn)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("secret %s: %w", arn, secret.ErrNotFound)
		}
		return nil
	})
}
