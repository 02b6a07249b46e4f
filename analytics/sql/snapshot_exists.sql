-- Whether snapshot $id is still in the catalog (maintenance expires old ones).
select count(*) > 0
from ducklake_snapshots(current_database())
where snapshot_id = $id
