-- The severity an alert job last sent for one wave (no row: never sent).
select severity
from alerts_sent
where job = $job and wave = $wave
order by sent_at desc
limit 1
