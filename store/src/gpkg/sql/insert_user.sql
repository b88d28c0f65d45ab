INSERT INTO users (username, password_hash, role, jurisdiction, officer_id, department, disabled, created_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, 0, strftime('%Y-%m-%dT%H:%M:%fZ','now'))
