SELECT id, name, mediator_role, village_code, phone FROM mediators ORDER BY id
