-- Rate limits shared by every replica on this database: requests per limit (`bucket`),
-- client address and fixed one-minute window (`window_start`, seconds since the epoch of
-- the database's clock). One upsert per limited request counts it; old windows are pruned.
CREATE TABLE rate_limits (
    bucket TEXT NOT NULL,
    client TEXT NOT NULL,
    window_start BIGINT NOT NULL,
    hits BIGINT NOT NULL,
    PRIMARY KEY (bucket, client, window_start)
);
CREATE INDEX rate_limits_window ON rate_limits (window_start);
