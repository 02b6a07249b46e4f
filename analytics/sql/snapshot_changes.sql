-- The kinds of change (tables_created, inlined_insert, ...) committed after
-- snapshot $since up to $until.
select distinct unnest(map_keys(changes)) as kind
from ducklake_snapshots(current_database())
where snapshot_id > $since and snapshot_id <= $until
