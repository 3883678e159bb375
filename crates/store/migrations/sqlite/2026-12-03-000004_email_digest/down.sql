ALTER TABLE users DROP COLUMN digest_sent_at;
ALTER TABLE users DROP COLUMN digest_cursor_seq;
ALTER TABLE users DROP COLUMN email_digest;
