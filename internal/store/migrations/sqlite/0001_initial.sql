-- +goose Up
CREATE TABLE access_keys (
    id          TEXT PRIMARY KEY,
    user_name   TEXT NOT NULL,
    secret      BLOB NOT NULL, -- sealed with the server's master key
    read_only   INTEGER NOT NULL DEFAULT 0,
    created     INTEGER NOT NULL
);

CREATE TABLE projects (
    name              TEXT PRIMARY KEY,
    arn               TEXT NOT NULL,
    created           INTEGER NOT NULL,
    modified          INTEGER NOT NULL,
    last_build_number INTEGER NOT NULL DEFAULT 0,
    last_batch_number INTEGER NOT NULL DEFAULT 0,
    doc               BLOB NOT NULL
);
CREATE INDEX projects_created ON projects (created, name);
CREATE INDEX projects_modified ON projects (modified, name);

CREATE TABLE builds (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    id        TEXT NOT NULL UNIQUE,
    arn       TEXT NOT NULL,
    project   TEXT NOT NULL,
    number    INTEGER NOT NULL,
    status    TEXT NOT NULL,
    start     INTEGER NOT NULL,
    batch_arn TEXT NOT NULL DEFAULT '',
    doc       BLOB NOT NULL,
    run       BLOB
);
CREATE INDEX builds_project ON builds (project, seq);

CREATE TABLE batches (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    id      TEXT NOT NULL UNIQUE,
    arn     TEXT NOT NULL,
    project TEXT NOT NULL,
    number  INTEGER NOT NULL,
    status  TEXT NOT NULL,
    start   INTEGER NOT NULL,
    doc     BLOB NOT NULL
);
CREATE INDEX batches_project ON batches (project, seq);

CREATE TABLE jobs (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    build_id TEXT NOT NULL,
    project  TEXT NOT NULL,
    max_running INTEGER NOT NULL DEFAULT 0, -- the project's concurrentBuildLimit; 0: none
    state    TEXT NOT NULL, -- queued, running
    owner    TEXT NOT NULL DEFAULT '',
    created  INTEGER NOT NULL
);
CREATE INDEX jobs_state ON jobs (state, id);

CREATE TABLE report_groups (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    arn      TEXT NOT NULL UNIQUE,
    name     TEXT NOT NULL,
    type     TEXT NOT NULL,
    created  INTEGER NOT NULL,
    modified INTEGER NOT NULL,
    doc      BLOB NOT NULL
);

CREATE TABLE reports (
    seq       INTEGER PRIMARY KEY AUTOINCREMENT,
    arn       TEXT NOT NULL UNIQUE,
    group_arn TEXT NOT NULL,
    type      TEXT NOT NULL,
    status    TEXT NOT NULL,
    created   INTEGER NOT NULL,
    doc       BLOB NOT NULL
);
CREATE INDEX reports_group ON reports (group_arn, seq);

CREATE TABLE test_cases (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    report_arn TEXT NOT NULL,
    name       TEXT NOT NULL,
    prefix     TEXT NOT NULL,
    status     TEXT NOT NULL,
    duration   INTEGER NOT NULL,
    doc        BLOB NOT NULL
);
CREATE INDEX test_cases_report ON test_cases (report_arn, seq);

CREATE TABLE coverages (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    report_arn TEXT NOT NULL,
    path       TEXT NOT NULL,
    line_cover REAL NOT NULL,
    doc        BLOB NOT NULL
);
CREATE INDEX coverages_report ON coverages (report_arn, path);

-- +goose Down
DROP TABLE coverages;
DROP TABLE test_cases;
DROP TABLE reports;
DROP TABLE report_groups;
DROP TABLE jobs;
DROP TABLE batches;
DROP TABLE builds;
DROP TABLE projects;
DROP TABLE access_keys;
