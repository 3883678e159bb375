-- What happened that concerns an account, written in the transaction of the change that caused
-- it: the outbox that every delivery (the in-app feed, webhooks, email) reads from. One row per
-- recipient; `id` is the event's stable id, `seq` the order in which they were committed.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    recipient_id TEXT NOT NULL REFERENCES users (id),
    subject_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP
);
CREATE INDEX events_recipient ON events (recipient_id, read_at, seq);
