-- The distinct values of each filterable dimension in one source.
with

tickets as (
    select * from main.tickets where source = $source
),

final as (
    select 'region' as dimension, region as value from tickets where region is not null
    union
    select 'team', team from tickets where team is not null
    union
    select 'channel', channel from tickets where channel is not null
    union
    select 'category', category from tickets where category is not null
    union
    select 'priority', priority from tickets where priority is not null
)

select * from final order by dimension, value
