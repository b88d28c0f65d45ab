-- Stores written before department staff (#26): the users table lacks the `department` role and
-- column. SQLite cannot alter a CHECK, so the table is rebuilt as schema.sql has it (keep the two
-- equal), ids kept. Run before schema.sql, inside one transaction, with foreign keys off.
CREATE TABLE users_new (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('city', 'county', 'township', 'village', 'analyst', 'admin', 'department')),
  jurisdiction TEXT,
  officer_id INTEGER,
  disabled BOOLEAN NOT NULL DEFAULT 0,
  created_at DATETIME NOT NULL,
  department TEXT,
  CHECK ((jurisdiction IS NULL) != (officer_id IS NULL)),
  CHECK ((department IS NOT NULL) = (role = 'department'))
);
INSERT INTO users_new (fid, username, password_hash, role, jurisdiction, officer_id, disabled, created_at)
SELECT fid, username, password_hash, role, jurisdiction, officer_id, disabled, created_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
