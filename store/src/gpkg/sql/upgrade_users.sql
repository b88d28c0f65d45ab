-- Stores written before department staff (#26), grid workers (#27) or leaders (#30): the users
-- table lacks a role or a column. SQLite cannot alter a CHECK, so the table is rebuilt as
-- schema.sql has it (keep the two equal), ids kept; `{department}` and `{grid_worker}` name the
-- old table's columns, or are `NULL` when it lacks them. Run before schema.sql, inside one
-- transaction, with foreign keys off.
CREATE TABLE users_new (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('city', 'county', 'township', 'village', 'analyst', 'admin', 'department', 'grid_worker', 'leader')),
  jurisdiction TEXT,
  officer_id INTEGER,
  disabled BOOLEAN NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL,
  -- Department staff: their department's code (the jurisdiction is the region it serves).
  department TEXT,
  -- Grid workers: their grid worker of the world (the jurisdiction is that worker's cells).
  grid_worker_id INTEGER,
  CHECK ((jurisdiction IS NOT NULL) + (officer_id IS NOT NULL) + (grid_worker_id IS NOT NULL) = 1),
  CHECK ((department IS NOT NULL) = (role = 'department')),
  CHECK ((grid_worker_id IS NOT NULL) = (role = 'grid_worker'))
);
INSERT INTO users_new (fid, username, password_hash, role, jurisdiction, officer_id, disabled, created_at, department,
                       grid_worker_id)
SELECT fid, username, password_hash, role, jurisdiction, officer_id, disabled, created_at, {department}, {grid_worker}
FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
