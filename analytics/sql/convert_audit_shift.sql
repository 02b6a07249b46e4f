-- Before a conversion, the audit rows the new store already holds (sign-ins
-- since it opened) move past the ids of the old store's rows ($old_rows, its
-- audit_log as Parquet), which are older: the log's ids stay in time order.
update audit_log
set audit_id = audit_id + (select coalesce(max(audit_id), 0) from read_parquet($old_rows))
