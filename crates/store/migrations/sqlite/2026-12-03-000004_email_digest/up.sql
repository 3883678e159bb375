-- The email digest of each account: how often (`off`, `daily` or `immediate`), the last outbox
-- event it has mailed (`digest_cursor_seq`) and when it last mailed. Existing accounts start
-- after the events already in the outbox, so an upgrade mails nothing old.
ALTER TABLE users ADD COLUMN email_digest TEXT NOT NULL DEFAULT 'daily';
ALTER TABLE users ADD COLUMN digest_cursor_seq BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN digest_sent_at TIMESTAMP;
UPDATE users SET digest_cursor_seq = COALESCE((SELECT MAX(seq) FROM events), 0);
