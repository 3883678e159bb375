-- What a change did: the created body, or the fields an update changed (from, to).
ALTER TABLE change_log ADD COLUMN detail TEXT;
