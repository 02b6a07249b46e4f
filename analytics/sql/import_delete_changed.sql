-- Remove the stored tickets this import changes; import_insert then writes
-- them again with the new ones. DuckDB rewrites a row whose list column
-- (flags) is updated as a delete and an insert anyway, and an
-- `insert ... on conflict` does not keep its `order by`: deleting first lets
-- one ordered insert store each import's rows together, in creation order.
with

changed as (
    select ticket_id from _actions where action = 'update'
)

delete from tickets
where source = $source
    and ticket_id in (select ticket_id from changed)
