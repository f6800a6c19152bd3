-- +goose Up
-- The web UI's users and their sessions. A user is a principal as an
-- access key's user is: its name is the builds' initiator, and read_only
-- allows only reading. Passwords are stored as bcrypt hashes; sessions by
-- the SHA-256 of their cookie, so a copy of the database opens none.
CREATE TABLE web_users (
    name        TEXT PRIMARY KEY,
    password    TEXT NOT NULL,
    read_only   INTEGER NOT NULL DEFAULT 0,
    created     INTEGER NOT NULL
);

CREATE TABLE web_sessions (
    id_hash     BLOB PRIMARY KEY,
    user_name   TEXT NOT NULL REFERENCES web_users (name) ON DELETE CASCADE,
    csrf        TEXT NOT NULL,
    created     INTEGER NOT NULL,
    expires     INTEGER NOT NULL
);
CREATE INDEX web_sessions_expires ON web_sessions (expires);

-- +goose Down
DROP TABLE web_sessions;
DROP TABLE web_users;
