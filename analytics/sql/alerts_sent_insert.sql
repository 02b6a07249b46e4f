insert into alerts_sent (job, wave, severity, sent_at, run_id)
values ($job, $wave, $severity, now(), $run_id)
