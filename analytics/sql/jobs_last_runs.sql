-- Each job's latest run.
with

ranked as (
    select
        *,
        row_number() over (partition by job order by started_at desc, run_id desc) as recency
    from job_runs
)

select job, run_id, started_at, finished_at, outcome, message
from ranked
where recency = 1
