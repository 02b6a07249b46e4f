-- Remove the event an import replaces: the same source (a null $source is
-- every source), name, region and start.
delete from events
where source is not distinct from $source
    and name = $name
    and region = $region
    and starts_on = $starts_on
