-- The saved day-by-day arrival effects of past events (event impact), for
-- reuse on a planned event of the same kind: per (kind, region) the latest
-- estimate, the intervention model preferred over difference in differences.
-- factor is the multiplier on arrivals (1.25 = +25%) from the start (day 0).
with

effects as (
    select
        effect_id,
        kind,
        region,
        row_number() over (
            partition by kind, region
            order by (method = 'intervention') desc, estimated_at desc
        ) as rank
    from event_effects
    where metric = 'arrivals'
),

latest as (
    select * from effects where rank = 1
),

final as (
    select
        latest.kind,
        latest.region,
        profile.day_offset,
        1 + profile.effect as factor
    from latest
    join event_effect_profile as profile using (effect_id)
    order by latest.kind, latest.region, profile.day_offset
)

select * from final
