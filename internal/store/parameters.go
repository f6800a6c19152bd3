package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/codeyard/codeyard/internal/parameter"
)

var _ parameter.Store = (*Store)(nil)

const parameterColumns = `SELECT v.name, v.version, v.type, v.value, v.key_id, v.description, v.allowed_pattern,
	v.tier, v.data_type, v.modified, v.modified_by, p.tags,
	COALESCE((SELECT json_group_array(label) FROM (SELECT label FROM parameter_labels l
		WHERE l.name = v.name AND l.version = v.version ORDER BY label)), '[]')
	FROM parameter_versions v JOIN parameters p ON p.name = v.name`

func scanParameters(rows *sql.Rows) ([]*parameter.Version, error) {
	defer rows.Close()
	var out []*parameter.Version
	for rows.Next() {
		var v parameter.Version
		var modified int64
		var tags, labels string
		if err := rows.Scan(&v.Name, &v.Version, &v.Type, &v.Value, &v.KeyID, &v.Description, &v.AllowedPattern,
			&v.Tier, &v.DataType, &modified, &v.ModifiedBy, &tags, &labels); err != nil {
			return nil, err
		}
		v.Modified = fromMS(modified)
		if err := json.Unmarshal([]byte(tags), &v.Tags); err != nil {
			return nil, fmt.Errorf("parameter %s tags: %w", v.Name, err)
		}
		if err := json.Unmarshal([]byte(labels), &v.Labels); err != nil {
			return nil, fmt.Errorf("parameter %s labels: %w", v.Name, err)
		}
		if len(v.Labels) == 0 {
			v.Labels = nil
		}
		out = append(out, &v)
	}
	return out, rows.Err()
}

func (s *Store) oneParameter(ctx context.Context, what, where string, args ...any) (*parameter.Version, error) {
	rows, err := s.r.QueryContext(ctx, parameterColumns+" WHERE "+where, args...)
	if err != nil {
		return nil, err
	}
	vs, err := scanParameters(rows)
	if err != nil {
		return nil, err
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("parameter %s: %w", what, parameter.ErrNotFound)
	}
	return vs[0], nil
}

// Parameter returns a version of a parameter, the latest when version is 0.
func (s *Store) Parameter(ctx context.Context, name string, version int64) (*parameter.Version, error) {
	if version == 0 {
		return s.oneParameter(ctx, name, "v.name = ? AND v.version = p.version", name)
	}
	return s.oneParameter(ctx, fmt.Sprintf("%s:%d", name, version), "v.name = ? AND v.version = ?", name, version)
}

// ParameterByLabel returns the version of a parameter that carries a label.
func (s *Store) ParameterByLabel(ctx context.Context, name, label string) (*parameter.Version, error) {
	return s.oneParameter(ctx, name+":"+label,
		"v.name = ? AND v.version = (SELECT version FROM parameter_labels WHERE name = ? AND label = ?)", name, name, label)
}

// Parameters returns the latest versions of the parameters whose names
// start with prefix and sort after after, by name.
func (s *Store) Parameters(ctx context.Context, prefix, after string, limit int) ([]*parameter.Version, error) {
	rows, err := s.r.QueryContext(ctx, parameterColumns+
		" WHERE v.version = p.version AND substr(p.name, 1, ?) = ? AND p.name > ? ORDER BY p.name LIMIT ?",
		len(prefix), prefix, after, limit)
	if err != nil {
		return nil, err
	}
	return scanParameters(rows)
}

// History returns versions of a parameter after a version, oldest first.
func (s *Store) History(ctx context.Context, name string, after int64, limit int) ([]*parameter.Version, error) {
	rows, err := s.r.QueryContext(ctx, parameterColumns+" WHERE v.name = ? AND v.version > ? ORDER BY v.version LIMIT ?", name, after, limit)
	if err != nil {
		return nil, err
	}
	return scanParameters(rows)
}

// PutParameter stores a new latest version of a parameter.
func (s *Store) PutParameter(ctx context.Context, v *parameter.Version, tags []parameter.Tag, drop int64) error {
	if tags == nil {
		tags = []parameter.Tag{}
	}
	tagJSON, err := json.Marshal(tags)
	if err != nil {
		return err
	}
	return s.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO parameters (name, version, tier, tags) VALUES (?, ?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET version = excluded.version, tier = excluded.tier`,
			v.Name, v.Version, v.Tier, string(tagJSON)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO parameter_versions (name, version, type, value, key_id, description,
			allowed_pattern, tier, data_type, modified, modified_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			v.Name, v.Version, v.Type, v.Value, v.KeyID, v.Description, v.AllowedPattern, v.Tier, v.DataType,
			ms(v.Modified), v.ModifiedBy); err != nil {
			if isUnique(err) {
				return fmt.Errorf("parameter %s version %d: %w", v.Name, v.Version, parameter.ErrExists)
			}
			return err
		}
		if drop != 0 {
			if _, err := tx.ExecContext(ctx, "DELETE FROM parameter_versions WHERE name = ? AND version = ?", v.Name, drop); err != nil {
				return err
			}
		}
		return nil
	})
}

// LabelParameter moves labels to a version of a parameter.
func (s *Store) LabelParameter(ctx context.Context, name string, version int64, labels []string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		for _, l := range labels {
			if _, err := tx.ExecContext(ctx, `INSERT INTO parameter_labels (name, label, version) VALUES (?, ?, ?)
				ON CONFLICT (name, label) DO UPDATE SET version = excluded.version`, name, l, version); err != nil {
				if strings.Contains(err.Error(), "FOREIGN KEY") {
					return fmt.Errorf("parameter %s:%d: %w", name, version, parameter.ErrNotFound)
				}
				return err
			}
		}
		return nil
	})
}

// DeleteParameter deletes a parameter with its versions and labels.
func (s *Store) DeleteParameter(ctx context.Context, name string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM parameters WHERE name = ?", name)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("parameter %s: %w", name, parameter.ErrNotFound)
		}
		// The versions and their labels go by cascade; say so for a
		// database opened without foreign keys.
		_, err = tx.ExecContext(ctx, "DELETE FROM parameter_labels WHERE name = ?", name)
		if err == nil {
			_, err = tx.ExecContext(ctx, "DELETE FROM parameter_versions WHERE name = ?", name)
		}
		return err
	})
}

// CountParameters counts the parameters of a tier.
func (s *Store) CountParameters(ctx context.Context, tier string) (int, error) {
	var n int
	err := s.r.QueryRowContext(ctx, "SELECT count(*) FROM parameters WHERE tier = ?", tier).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, err
}
