-- Calendar events called $name, latest first.
with

events as (
    select * from main.events
),

final as (
    select *
    from events
    where name = $name
    order by starts_on desc, region
)

select * from final
