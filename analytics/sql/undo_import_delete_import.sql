-- Forget import $import_id, which is being undone: the source lists it no more.
delete from imports
where import_id = $import_id
