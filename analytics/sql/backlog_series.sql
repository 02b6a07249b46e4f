-- Backlog (open, and awaiting first response) at the end of each hour or
-- of each local day ($grain) of $tz in [$start, $end), by the time events
-- happened.
with

final as (
    select
        bucket,
        open,
        awaiting_first_response
    from backlog_levels(
        $source, $regions, $teams, $channels, $categories, $priorities, $as_of,
        $start, $end, $tz, $zone_step_us, $grain
    )
    order by bucket_index
)

select * from final
