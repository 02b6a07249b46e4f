-- What one source records at all: whether any of its tickets has a first
-- response, a resolution, or an end (resolved, else closed), and the export
-- formats (presets) it came from.
with

tickets as (
    select
        first_response_at,
        resolved_at,
        closed_at
    from main.tickets
    where source = $source
),

recorded as (
    select
        count(*) as tickets,
        count(first_response_at) > 0 as has_first_response,
        count(resolved_at) > 0 as has_resolution,
        count(coalesce(resolved_at, closed_at)) > 0 as has_done
    from tickets
),

presets as (
    select
        list(distinct preset order by preset) as presets
    from main.imports
    where source = $source
),

final as (
    select
        recorded.tickets,
        recorded.has_first_response,
        recorded.has_resolution,
        recorded.has_done,
        coalesce(presets.presets, []) as presets
    from recorded
    cross join presets
)

select * from final
