INSERT INTO users (username, password_hash, role, jurisdiction, officer_id, department, grid_worker_id, disabled, created_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, strftime('%Y-%m-%dT%H:%M:%fZ','now'))
