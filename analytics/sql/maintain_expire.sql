-- Expire the snapshots $versions (see maintain_expiring); return how many.
-- Their files no other snapshot needs are then scheduled for deletion.
with

expired as (
    select snapshot_id
    from ducklake_expire_snapshots(current_database(), versions => $versions)
),

final as (
    select count(*) as snapshots_expired from expired
)

select * from final
