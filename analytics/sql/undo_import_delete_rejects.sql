-- Forget the rejected rows of import $import_id, which is being undone.
delete from rejects
where import_id = $import_id
