DROP TRIGGER change_log_notify ON change_log;
DROP FUNCTION omics_notify_changes();
