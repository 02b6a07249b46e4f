-- The sources whose tickets were inserted, deleted or updated between two
-- snapshots (both included).
select distinct source
from ducklake_table_changes(current_database(), 'main', 'tickets', $since, $until)
