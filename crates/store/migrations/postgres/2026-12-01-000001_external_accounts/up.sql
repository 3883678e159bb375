-- Accounts of an external OpenID Connect issuer: keyed by the issuer and its subject, never by
-- email (an address claimed by an identity provider does not take over a local account).
ALTER TABLE users ADD COLUMN external_issuer TEXT;
ALTER TABLE users ADD COLUMN external_subject TEXT;
CREATE UNIQUE INDEX users_external ON users (external_issuer, external_subject) WHERE external_subject IS NOT NULL;
