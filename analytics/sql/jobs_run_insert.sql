insert into job_runs (run_id, job, kind, slot, trigger, started_at, outcome)
values ($run_id, $job, $kind, $slot, $trigger, now(), 'running')
