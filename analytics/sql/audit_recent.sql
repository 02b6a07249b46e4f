-- The latest audit rows, newest first: optionally one action only, or
-- writes only (sign-ins left out).
with entries as (
    select audit_id, occurred_at, actor, role, via, action, target, detail
    from audit_log
    where ($action is null or action = $action)
        and (not $writes_only or action not in ('sign_in', 'sign_in_failed'))
),

final as (
    select * from entries
    order by audit_id desc
    limit $limit
)

select * from final
