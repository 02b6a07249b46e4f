-- Failed sign-ins that still count against an account and against a client
-- address: those since $since (the start of the throttle window). A
-- successful sign-in or an admin's unlock forgives the account's earlier
-- failures; an address keeps its own.
with recent as (
    select
        occurred_at,
        action,
        lower(actor) as actor,
        target
    from audit_log
    where occurred_at > $since
        and action in ('sign_in', 'sign_in_failed', 'unlock_account')
),

account_cleared as (
    select coalesce(max(occurred_at), $since) as cleared_at
    from recent
    where (action = 'sign_in' and actor = lower($name))
        or (action = 'unlock_account' and lower(target) = lower($name))
),

account_failures as (
    select
        count(*) as failures,
        min(occurred_at) as oldest
    from recent
    where action = 'sign_in_failed'
        and actor = lower($name)
        and occurred_at > (select cleared_at from account_cleared)
),

address_failures as (
    select
        count(*) as failures,
        min(occurred_at) as oldest
    from recent
    where action = 'sign_in_failed'
        and $address is not null
        and target = $address
),

final as (
    select
        account_failures.failures as account_failures,
        account_failures.oldest as account_oldest,
        address_failures.failures as address_failures,
        address_failures.oldest as address_oldest
    from account_failures, address_failures
)

select * from final
