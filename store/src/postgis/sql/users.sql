SELECT id, username, role, jurisdiction, officer_id, disabled, password_hash, department, grid_worker_id FROM users ORDER BY id
