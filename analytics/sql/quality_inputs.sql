-- What one source records of the quality metrics' inputs, whatever the
-- period: its tickets, whether any has a reopen count, a reply count or a
-- satisfaction rating, and the export formats (presets) it came from.
with

tickets as (
    select
        reopens,
        replies
    from main.tickets
    where source = $source
),

recorded as (
    select
        count(*) as tickets,
        count(reopens) > 0 as has_reopens,
        count(replies) > 0 as has_replies
    from tickets
),

ratings as (
    select
        count(*) > 0 as has_satisfaction
    from main.ratings
    where source = $source
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
        recorded.has_reopens,
        recorded.has_replies,
        ratings.has_satisfaction,
        coalesce(presets.presets, []) as presets
    from recorded
    cross join ratings
    cross join presets
)

select * from final
