SELECT id, username, role, jurisdiction, officer_id, disabled, password_hash, department FROM users WHERE username = $1
