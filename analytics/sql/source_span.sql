-- The span of one source: its first creation and its last recorded event
-- (the moment the export was taken, for all practical purposes).
with

tickets as (
    select * from main.tickets where source = $source
),

final as (
    select
        min(created_at) as first_created_at,
        -- the largest of the columns' maxima: four plain aggregates, not one per row
        greatest(
            max(created_at), max(first_response_at), max(resolved_at), max(closed_at)
        ) as as_of
    from tickets
)

select * from final
