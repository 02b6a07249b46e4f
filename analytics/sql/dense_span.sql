-- The dense span of one source, in local weeks: from the first to the last week
-- whose created tickets reach $share of a busy week (the 90th percentile of its
-- weeks). A log whose last months hold a trickle ends where the work was.
with

-- Counted per quarter hour first (local midnights fall on quarter hours in
-- every zone), so that only those keys go through the slow time-zone
-- conversion, not every ticket.
quarters as (
    select
        epoch_us(created_at) // 900000000 as quarter,
        count(*) as created
    from tickets
    where source = $source
    group by all
),

weekly as (
    select
        date_trunc('week', timezone($tz, to_timestamp(quarter * 900)))::date as week,
        sum(created) as created
    from quarters
    group by all
),

busy as (
    select quantile_cont(created, 0.9) as busy_week from weekly
),

dense as (
    select weekly.week
    from weekly, busy
    where weekly.created >= $share * busy.busy_week
),

final as (
    select
        min(week) as first_day,
        max(week) + 6 as last_day
    from dense
)

select * from final
