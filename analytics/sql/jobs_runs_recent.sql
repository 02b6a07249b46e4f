-- The most recent runs, newest first; of one job when $job is not null.
select run_id, job, kind, slot, trigger, started_at, finished_at, outcome, message, delivered
from job_runs
where $job is null or job = $job
order by started_at desc, run_id desc
limit $limit
