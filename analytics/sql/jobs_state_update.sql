update job_state set last_slot = $slot where job = $job
