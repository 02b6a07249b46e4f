-- Backlog (open, and awaiting first response) at the end of each hour or day
-- of $tz in [$start, $end), by the time events happened.
with

final as (
    select *
    from backlog_levels(
        $source, $regions, $teams, $channels, $categories, $priorities, $as_of,
        $start, $end, $tz, $grain
    )
    order by bucket
)

select * from final
