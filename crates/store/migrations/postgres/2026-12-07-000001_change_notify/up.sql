-- Replicas wake up on each commit that appends to the change log: every statement inserting
-- into change_log sends NOTIFY omics_changes, which PostgreSQL delivers to the listeners when
-- (and only if) the transaction commits. A trigger, rather than a NOTIFY in the code that
-- appends, so that every writer of the log wakes the replicas: the server, `omics-match
-- import`, and any other tool or later code path. The payload is empty on purpose: PostgreSQL
-- folds identical notifications of one transaction into one, so a batch of a thousand
-- changes wakes each listener once; a listener reads what changed from the log itself.
CREATE FUNCTION omics_notify_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('omics_changes', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER change_log_notify AFTER INSERT ON change_log
    FOR EACH STATEMENT EXECUTE FUNCTION omics_notify_changes();
