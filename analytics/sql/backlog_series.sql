-- Backlog (open, and awaiting first response) at the end of each hour and
-- of each local day of $tz in [$start, $end), by the time events happened.
with

final as (
    select
        grain,
        bucket,
        open,
        awaiting_first_response
    from backlog_levels(
        $source, $regions, $teams, $channels, $categories, $priorities, $as_of,
        $start, $end, $tz, $zone_step_us
    )
    order by grain, bucket_index
)

select * from final
