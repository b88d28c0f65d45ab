SELECT fid, username, role, jurisdiction, officer_id, disabled, password_hash, department, created_at FROM users ORDER BY fid
