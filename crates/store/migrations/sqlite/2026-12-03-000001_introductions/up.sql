-- Introductions between a need's requester and a platform, and their message threads. A
-- deleted need or platform takes its introductions with it.
CREATE TABLE introductions (
    id TEXT PRIMARY KEY NOT NULL,
    need_id TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    platform_id TEXT NOT NULL REFERENCES records (id) ON DELETE CASCADE,
    proposed_by TEXT NOT NULL CHECK (proposed_by IN ('requester', 'platform')),
    proposer_id TEXT NOT NULL REFERENCES users (id),
    state TEXT NOT NULL CHECK (state IN ('proposed', 'accepted', 'declined', 'withdrawn', 'expired', 'closed')),
    score DOUBLE PRECISION NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
-- At most one introduction that is not closed per need and platform.
CREATE UNIQUE INDEX introductions_one_open ON introductions (need_id, platform_id) WHERE state IN ('proposed', 'accepted');
CREATE INDEX introductions_need ON introductions (need_id);
CREATE INDEX introductions_platform ON introductions (platform_id);
CREATE INDEX introductions_due ON introductions (state, expires_at);

CREATE TABLE introduction_messages (
    id TEXT PRIMARY KEY NOT NULL,
    introduction_id TEXT NOT NULL REFERENCES introductions (id) ON DELETE CASCADE,
    author_id TEXT REFERENCES users (id),
    side TEXT CHECK (side IN ('requester', 'platform')),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX introduction_messages_thread ON introduction_messages (introduction_id, created_at);
