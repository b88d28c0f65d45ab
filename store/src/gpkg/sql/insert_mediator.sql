INSERT INTO mediators (id, name, mediator_role, village_code, phone) VALUES (?1, ?2, ?3, ?4, ?5)
