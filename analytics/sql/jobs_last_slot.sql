-- The last schedule slot a job was claimed for (no row: never).
select last_slot from job_state where job = $job
