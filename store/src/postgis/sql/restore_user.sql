INSERT INTO users (id, username, password_hash, role, jurisdiction, officer_id, disabled, created_at, department, grid_worker_id)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::timestamptz, $9, $10)
