-- The waves one alert job ($job) has sent: each wave's latest severity.
with

sent as (
    select
        wave,
        severity,
        sent_at
    from alerts_sent
    where job = $job
),

final as (
    select
        wave,
        arg_max(severity, sent_at) as severity
    from sent
    group by wave
    order by wave
)

select * from final
