-- Saved searches: a stored list query (platforms or needs, `query` holds its parameters as
-- JSON) or "platforms matching my need above min_score" (`need_id`). A follower reads the
-- change log after `cursor_seq`; a hit is one row per search and record, so a record that
-- enters the results is notified once, however often the follower restarts. Records in the
-- results when the search was saved are kept with `notified` false: they are not new.
CREATE TABLE saved_searches (
    id TEXT PRIMARY KEY NOT NULL,
    owner_id TEXT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('platform', 'need')),
    query TEXT NOT NULL,
    need_id TEXT REFERENCES records (id) ON DELETE CASCADE,
    min_score DOUBLE PRECISION,
    cursor_seq BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX saved_searches_owner ON saved_searches (owner_id);

CREATE TABLE saved_search_hits (
    saved_search_id TEXT NOT NULL REFERENCES saved_searches (id) ON DELETE CASCADE,
    record_id TEXT NOT NULL,
    notified BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (saved_search_id, record_id)
);
