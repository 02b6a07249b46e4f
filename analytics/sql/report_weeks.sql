-- The local ISO weeks (Mondays of $tz) in [$start, $end) in which tickets of
-- the selection were created or resolved, with how many, newest first: the
-- weeks a report can be made of.
with

tickets as not materialized (
    select
        created_at,
        resolved_at
    from selected_tickets($source, $regions, $teams, $channels, $categories, $priorities, $as_of)
),

-- Moves counted per tick of $zone_step_us first (an hour, or a quarter hour
-- in zones offset by fractions of an hour: local midnights fall on ticks), so
-- that only these keys go through the slow time-zone conversion.
moves as (
    select epoch_us(created_at) // $zone_step_us as tick
    from tickets
    where created_at >= $start and created_at < $end
    union all
    select epoch_us(resolved_at) // $zone_step_us
    from tickets
    where resolved_at >= $start and resolved_at < $end
),

ticks as (
    select tick, count(*) as moves
    from moves
    group by tick
),

final as (
    select
        date_trunc('week', timezone($tz, to_timestamp(tick * $zone_step_us / 1000000)))::date
            as monday,
        sum(moves)::bigint as moves
    from ticks
    group by all
    order by monday desc
)

select * from final
