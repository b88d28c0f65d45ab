SELECT id, username, role, jurisdiction, officer_id, disabled, password_hash FROM users ORDER BY id
