SELECT id, username, role, jurisdiction, officer_id, disabled, password_hash, department FROM users ORDER BY id
