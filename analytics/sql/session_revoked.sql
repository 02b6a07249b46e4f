-- Whether a sign-in session has signed out: its id is the target of a
-- sign_out row in the audit log.
with sign_outs as (
    select target
    from audit_log
    where action = 'sign_out'
        and target = $sid
),

final as (
    select count(*) > 0 as revoked
    from sign_outs
)

select * from final
