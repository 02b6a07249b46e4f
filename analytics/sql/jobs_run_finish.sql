update job_runs
set finished_at = now(), outcome = $outcome, message = $message, delivered = $delivered
where run_id = $run_id
