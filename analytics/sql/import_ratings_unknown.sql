-- A ratings import rates tickets already stored in source $source: give each
-- valid row of _parsed whose ticket is not there its reject reason.
update _parsed
set _reason = 'no ticket ' || ticket_id || ' in source ' || $source
where _reason is null
    and not exists (
        select 1
        from tickets
        where tickets.source = $source
            and tickets.ticket_id = _parsed.ticket_id
    )
