-- The satisfaction answers of the staged file (_raw.csat_score) at a glance:
-- the smallest and largest of those written as numbers, and which of the
-- label words $labels appear, from which the file's scales are decided once
-- (analytics.canonical.csat_number_scale and csat_words).
with

answers as (
    select lower(trim(csat_score)) as answer
    from _raw
    where nullif(trim(csat_score), '') is not null
),

numbers as (
    select
        answer,
        try_cast(replace(answer, ',', '.') as double) as number
    from answers
),

final as (
    select
        min(number) filter (where isfinite(number)) as lowest,
        max(number) filter (where isfinite(number)) as highest,
        coalesce(
            list(distinct answer) filter (where list_contains($labels, answer)),
            []
        ) as labels
    from numbers
)

select * from final
