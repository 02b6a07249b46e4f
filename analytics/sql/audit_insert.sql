-- One audit row; called inside the transaction of the write it records.
insert into audit_log (audit_id, occurred_at, actor, role, via, action, target, detail)
values ($audit_id, now(), $actor, $role, $via, $action, $target, $detail)
