insert into job_state (job, last_slot) values ($job, $slot)
