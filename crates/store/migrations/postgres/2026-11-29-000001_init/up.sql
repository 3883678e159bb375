CREATE TABLE users (
    id TEXT PRIMARY KEY NOT NULL,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    token_version BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- Platforms and needs: indexed columns plus the validated body as JSON text.
CREATE TABLE records (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('platform', 'need')),
    external_key TEXT,
    owner_id TEXT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL,
    label TEXT NOT NULL,
    country TEXT NOT NULL,
    body TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX records_external_key ON records (kind, external_key) WHERE external_key IS NOT NULL;
CREATE INDEX records_owner ON records (owner_id);
CREATE INDEX records_kind_status ON records (kind, status);

-- Every create, update and delete, in commit order; the search index follows it.
CREATE TABLE change_log (
    seq BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    entity_id TEXT NOT NULL,
    op TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete')),
    version BIGINT NOT NULL,
    actor_id TEXT,
    at TIMESTAMP NOT NULL
);
CREATE INDEX change_log_entity ON change_log (entity_id);
