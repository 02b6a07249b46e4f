-- The snapshot this transaction reads: it moves with every commit to the store.
select id from ducklake_current_snapshot(current_database())
