-- The span of one source: its first creation and its last recorded event
-- (the moment the export was taken, for all practical purposes).
with

tickets as (
    select * from main.tickets where source = $source
),

final as (
    select
        min(created_at) as first_created_at,
        max(greatest(created_at, first_response_at, resolved_at, closed_at)) as as_of
    from tickets
)

select * from final
