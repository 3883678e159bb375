-- Saved searches: a stored query (platforms or needs, with the list routes' `q` and filters),
-- or "platforms matching my need above `min_score`". Each follows the change log after
-- `cursor_seq`; a record that enters its results gets one row in `saved_search_hits`, and so
-- one notification, however often the follower restarts. Rows with no `hit_seq` are what the
-- search found when it was saved: they are not new and are never notified.
CREATE TABLE saved_searches (
    id TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('platform', 'need')),
    query TEXT NOT NULL,
    need_id TEXT,
    min_score DOUBLE PRECISION,
    cursor_seq BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX saved_searches_owner ON saved_searches (owner_id);

CREATE TABLE saved_search_hits (
    saved_search_id TEXT NOT NULL REFERENCES saved_searches (id) ON DELETE CASCADE,
    record_id TEXT NOT NULL,
    hit_seq BIGINT,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (saved_search_id, record_id)
);
