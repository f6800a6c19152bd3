-- +goose Up
-- Parameter Store: one row per parameter (its latest version and tags),
-- one per version. Values are sealed with the server's master key.
CREATE TABLE parameters (
    name    TEXT PRIMARY KEY,
    version INTEGER NOT NULL, -- the latest
    tier    TEXT NOT NULL,
    tags    TEXT NOT NULL DEFAULT '[]' -- JSON [{"Key":..,"Value":..}]
);
CREATE INDEX parameters_tier ON parameters (tier);

CREATE TABLE parameter_versions (
    name            TEXT NOT NULL REFERENCES parameters (name) ON DELETE CASCADE,
    version         INTEGER NOT NULL,
    type            TEXT NOT NULL,
    value           BLOB NOT NULL, -- sealed
    key_id          TEXT NOT NULL DEFAULT '',
    description     TEXT NOT NULL DEFAULT '',
    allowed_pattern TEXT NOT NULL DEFAULT '',
    tier            TEXT NOT NULL,
    data_type       TEXT NOT NULL,
    modified        INTEGER NOT NULL,
    modified_by     TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (name, version)
);

CREATE TABLE parameter_labels (
    name    TEXT NOT NULL,
    label   TEXT NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (name, label),
    FOREIGN KEY (name, version) REFERENCES parameter_versions (name, version) ON DELETE CASCADE
);
CREATE INDEX parameter_labels_version ON parameter_labels (name, version);

-- Secrets Manager: one row per secret, one per version, and one per
-- staging label, which points at one version.
CREATE TABLE secrets (
    arn         TEXT PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    kms_key_id  TEXT NOT NULL DEFAULT '',
    tags        TEXT NOT NULL DEFAULT '[]', -- JSON [{"Key":..,"Value":..}]
    created     INTEGER NOT NULL,
    changed     INTEGER NOT NULL,
    accessed    INTEGER NOT NULL DEFAULT 0, -- 0: never
    deleted     INTEGER NOT NULL DEFAULT 0, -- 0: not scheduled for deletion
    deletion    INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE secret_versions (
    secret_arn TEXT NOT NULL REFERENCES secrets (arn) ON DELETE CASCADE,
    id         TEXT NOT NULL,
    seq        INTEGER NOT NULL, -- order of creation within the secret
    value      BLOB NOT NULL, -- sealed
    created    INTEGER NOT NULL,
    PRIMARY KEY (secret_arn, id)
);

CREATE TABLE secret_stages (
    secret_arn TEXT NOT NULL,
    stage      TEXT NOT NULL,
    version_id TEXT NOT NULL,
    PRIMARY KEY (secret_arn, stage),
    FOREIGN KEY (secret_arn, version_id) REFERENCES secret_versions (secret_arn, id) ON DELETE CASCADE
);

-- +goose Down
DROP TABLE secret_stages;
DROP TABLE secret_versions;
DROP TABLE secrets;
DROP TABLE parameter_labels;
DROP TABLE parameter_versions;
DROP TABLE parameters;
