-- One audit row; called inside the transaction of the write it records.
insert into audit_log (actor, role, via, action, target, detail)
values ($actor, $role, $via, $action, $target, $detail)
