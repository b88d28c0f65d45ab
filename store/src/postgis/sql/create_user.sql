-- A new user; no row when the username is taken.
INSERT INTO users (username, password_hash, role, jurisdiction, officer_id, department, grid_worker_id, disabled, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, FALSE, now())
ON CONFLICT (username) DO NOTHING
RETURNING id
