-- SafeGrid embedded store: an OGC GeoPackage 1.3 (SQLite) file. Idempotent: run on every open.
-- (The GeoPackage core tables are in core.sql, run first.)

CREATE TABLE IF NOT EXISTS regions (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  geom MULTIPOLYGON,
  code TEXT NOT NULL UNIQUE,
  name TEXT NOT NULL,
  level TEXT NOT NULL CHECK (level IN ('city', 'county', 'township', 'village')),
  parent_code TEXT,
  population INTEGER NOT NULL,
  households INTEGER NOT NULL,
  synthetic BOOLEAN NOT NULL
);

CREATE TABLE IF NOT EXISTS cells (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  geom MULTIPOLYGON,
  code TEXT NOT NULL UNIQUE,
  village_code TEXT NOT NULL,
  name TEXT NOT NULL,
  population INTEGER NOT NULL,
  synthetic BOOLEAN NOT NULL
);

CREATE TABLE IF NOT EXISTS incidents (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  geom POINT,
  source TEXT NOT NULL,
  external_id TEXT,
  category TEXT NOT NULL,
  subcategory TEXT,
  occurred_at DATETIME NOT NULL,
  reported_at DATETIME NOT NULL,
  address TEXT,
  summary TEXT,
  reporter_name TEXT,
  reporter_phone TEXT,
  severity TEXT NOT NULL,
  status TEXT NOT NULL,
  county_code TEXT NOT NULL,
  township_code TEXT NOT NULL,
  village_code TEXT NOT NULL,
  cell_code TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS incidents_source_external_id ON incidents (source, external_id)
  WHERE external_id IS NOT NULL;

CREATE TABLE IF NOT EXISTS resources (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  geom POINT,
  kind TEXT NOT NULL,
  prevention TEXT NOT NULL,
  name TEXT NOT NULL,
  region_code TEXT NOT NULL,
  subtype TEXT,
  heading_deg DOUBLE,
  fov_deg DOUBLE,
  range_m DOUBLE
);

CREATE TABLE IF NOT EXISTS officers (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  name TEXT NOT NULL,
  badge TEXT NOT NULL UNIQUE,
  station_id INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS officer_villages (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  officer_id INTEGER NOT NULL REFERENCES officers (fid),
  village_code TEXT NOT NULL,
  UNIQUE (officer_id, village_code)
);

-- Departments (部门) that take 综治 work orders: code, type (a taxonomy department type), names,
-- the region served.
CREATE TABLE IF NOT EXISTS departments (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  code TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  name_zh TEXT NOT NULL,
  name_en TEXT NOT NULL,
  region_code TEXT NOT NULL CHECK (length(region_code) = 12)
);

-- The villages' mediator rosters (调解员名册): the 法治带头人 the desk may name to mediate.
CREATE TABLE IF NOT EXISTS mediators (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id INTEGER NOT NULL UNIQUE,
  name TEXT NOT NULL,
  mediator_role TEXT NOT NULL CHECK (mediator_role IN ('village_cadre', 'legal_literate', 'peoples_mediator', 'respected_local')),
  village_code TEXT NOT NULL CHECK (length(village_code) = 12),
  phone TEXT
);

CREATE TABLE IF NOT EXISTS safegrid_meta (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  key TEXT NOT NULL UNIQUE,
  value TEXT NOT NULL
);
-- The key of channel integrations' tracking codes (#27): made once per store, kept in backups.
INSERT OR IGNORE INTO safegrid_meta (key, value) VALUES ('tracking_secret', lower(hex(randomblob(32))));

INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
  ('regions', 'features', 'regions', 'City, counties, townships and villages (below county level: synthetic boundaries)', 4326),
  ('cells', 'features', 'cells', 'Grid cells (网格), 15-digit codes', 4326),
  ('incidents', 'features', 'incidents', 'Security incidents (警情)', 4326),
  ('resources', 'features', 'resources', 'Prevention resources (人防/物防/技防)', 4326),
  ('officers', 'attributes', 'officers', 'Village officers (一村一警)', NULL),
  ('officer_villages', 'attributes', 'officer_villages', 'Which villages each officer covers', NULL),
  ('departments', 'attributes', 'departments', 'Departments that take work orders (部门)', NULL),
  ('mediators', 'attributes', 'mediators', 'Villages'' mediator rosters (调解员名册)', NULL),
  ('safegrid_meta', 'attributes', 'safegrid_meta', 'SafeGrid store metadata', NULL);

INSERT OR IGNORE INTO gpkg_geometry_columns VALUES
  ('regions', 'geom', 'MULTIPOLYGON', 4326, 0, 0),
  ('cells', 'geom', 'MULTIPOLYGON', 4326, 0, 0),
  ('incidents', 'geom', 'POINT', 4326, 0, 0),
  ('resources', 'geom', 'POINT', 4326, 0, 0);

-- Users, sessions and the append-only audit log.
CREATE TABLE IF NOT EXISTS users (
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

CREATE TABLE IF NOT EXISTS sessions (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  token_hash TEXT NOT NULL UNIQUE,
  user_id INTEGER NOT NULL REFERENCES users (fid),
  created_at DATETIME NOT NULL,
  expires_at DATETIME NOT NULL
);

CREATE TABLE IF NOT EXISTS audit (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  at DATETIME NOT NULL,
  actor TEXT NOT NULL,
  role TEXT,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  source TEXT,
  result TEXT NOT NULL,
  detail TEXT
);
CREATE INDEX IF NOT EXISTS audit_actor_at ON audit (actor, at);
CREATE TRIGGER IF NOT EXISTS audit_append_only_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_append_only_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
  ('users', 'attributes', 'users', 'SafeGrid users (argon2id password hashes)', NULL),
  ('sessions', 'attributes', 'sessions', 'Login sessions (SHA-256 of tokens)', NULL),
  ('audit', 'attributes', 'audit', 'Append-only audit log', NULL);

-- The live log: every change the command centre watches, numbered in commit order (`seq`).
CREATE TABLE IF NOT EXISTS live_events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at DATETIME NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('incident', 'incident_changed', 'incident_linked', 'unit', 'alert', 'alert_acked',
                                     'assignment', 'visit', 'dispute', 'dispute_changed', 'backlog_case',
                                     'campaign', 'screening', 'petition', 'petition_changed',
                                     'reception', 'forecast_trial')),
  subject INTEGER NOT NULL,
  cell_code TEXT,
  category TEXT,
  actor TEXT,
  data TEXT NOT NULL,
  -- Events in the row: more than 1 for a packed run (model::live::LogRow; seq is the last one's).
  span INTEGER NOT NULL DEFAULT 1 CHECK (span >= 1)
);
CREATE INDEX IF NOT EXISTS live_events_subject ON live_events (kind, subject, seq);
CREATE INDEX IF NOT EXISTS live_events_at ON live_events (at);

INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
  ('live_events', 'attributes', 'live_events', 'The live log: incidents, status changes, unit positions, alerts', NULL);

-- Photos stored with village-desk records (a visit's), keyed by the record's seq in the live log.
CREATE TABLE IF NOT EXISTS desk_photos (
  seq INTEGER PRIMARY KEY REFERENCES live_events (seq),
  content_type TEXT NOT NULL,
  bytes BLOB NOT NULL
);

INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
  ('desk_photos', 'attributes', 'desk_photos', 'Photos stored with village-desk visit records', NULL);

-- Published versions of the world (safegrid world import / rollback); `world` is
-- store::world_version::encode of the version's regions, cells, resources and officers.
CREATE TABLE IF NOT EXISTS world_versions (
  version INTEGER PRIMARY KEY,
  published_at TEXT NOT NULL,
  published_by TEXT NOT NULL,
  note TEXT NOT NULL,
  changes TEXT NOT NULL,
  world BLOB NOT NULL
);

INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
  ('world_versions', 'attributes', 'world_versions', 'Published versions of the world (base data)', NULL);
