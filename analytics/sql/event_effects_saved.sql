-- Saved effects of past events (all, or of kind $kind), newest first, with
-- their day-by-day profile as a list, for the forecast to reuse.
with

effects as (
    select * from main.event_effects
    where $kind is null or kind = $kind
),

profiles as (
    select
        effect_id,
        list(effect order by day_offset) as profile
    from main.event_effect_profile
    group by effect_id
),

final as (
    select
        effects.*,
        profiles.profile
    from effects
    left join profiles using (effect_id)
    order by effects.estimated_at desc, effects.effect_id desc
)

select * from final
