DROP INDEX users_external;
ALTER TABLE users DROP COLUMN external_subject;
ALTER TABLE users DROP COLUMN external_issuer;
