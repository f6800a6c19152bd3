-- +goose Up
-- Webhooks: one per project, found by the id in its payload URL. The
-- project's document holds its settings; the secret (sealed with the
-- server's master key when the server has one) lives here, out of
-- BatchGetProjects's answers.
CREATE TABLE webhooks (
    id          TEXT PRIMARY KEY,
    project     TEXT NOT NULL UNIQUE REFERENCES projects (name) ON DELETE CASCADE,
    secret      BLOB NOT NULL,
    created     INTEGER NOT NULL,
    modified    INTEGER NOT NULL
);

-- The deliveries that started a build, so a redelivery starts none.
CREATE TABLE webhook_deliveries (
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    delivery   TEXT NOT NULL,
    build      TEXT NOT NULL DEFAULT '', -- build id or batch id; '' while starting
    received   INTEGER NOT NULL,
    PRIMARY KEY (webhook_id, delivery)
);
CREATE INDEX webhook_deliveries_received ON webhook_deliveries (received);

-- +goose Down
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
