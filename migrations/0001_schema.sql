-- SafeGrid PostGIS schema, version 1: the same model as the embedded GeoPackage store
-- (server/src/store/gpkg/schema.sql). Geometry is WGS84 (EPSG:4326) lon/lat.
-- Forward-only: never edit this file once it has landed; add 0002_….sql.

CREATE TABLE regions (
  id BIGSERIAL PRIMARY KEY,
  geom geometry(MultiPolygon, 4326) NOT NULL,
  code TEXT NOT NULL UNIQUE CHECK (code ~ '^[0-9]{12}$'),
  name TEXT NOT NULL,
  level TEXT NOT NULL CHECK (level IN ('city', 'county', 'township', 'village')),
  parent_code TEXT,
  population INTEGER NOT NULL,
  households INTEGER NOT NULL,
  synthetic BOOLEAN NOT NULL
);
CREATE INDEX regions_geom ON regions USING gist (geom);
CREATE INDEX regions_parent ON regions (parent_code);

CREATE TABLE cells (
  id BIGSERIAL PRIMARY KEY,
  geom geometry(MultiPolygon, 4326) NOT NULL,
  code TEXT NOT NULL UNIQUE CHECK (code ~ '^[0-9]{15}$'),
  village_code TEXT NOT NULL,
  name TEXT NOT NULL,
  population INTEGER NOT NULL,
  synthetic BOOLEAN NOT NULL
);
CREATE INDEX cells_geom ON cells USING gist (geom);
CREATE INDEX cells_village ON cells (village_code);

CREATE TABLE incidents (
  id BIGSERIAL PRIMARY KEY,
  geom geometry(Point, 4326) NOT NULL,
  source TEXT NOT NULL,
  external_id TEXT,
  category TEXT NOT NULL,
  subcategory TEXT,
  occurred_at TIMESTAMPTZ NOT NULL,
  reported_at TIMESTAMPTZ NOT NULL,
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
CREATE INDEX incidents_geom ON incidents USING gist (geom);
CREATE INDEX incidents_occurred_at ON incidents (occurred_at, id);
CREATE INDEX incidents_cell_occurred_at ON incidents (cell_code, occurred_at);
CREATE UNIQUE INDEX incidents_source_external_id ON incidents (source, external_id)
  WHERE external_id IS NOT NULL;

CREATE TABLE resources (
  id BIGSERIAL PRIMARY KEY,
  geom geometry(Point, 4326) NOT NULL,
  kind TEXT NOT NULL,
  prevention TEXT NOT NULL,
  name TEXT NOT NULL,
  region_code TEXT NOT NULL,
  subtype TEXT,
  heading_deg DOUBLE PRECISION,
  fov_deg DOUBLE PRECISION,
  range_m DOUBLE PRECISION
);
CREATE INDEX resources_geom ON resources USING gist (geom);
CREATE INDEX resources_kind ON resources (kind);

CREATE TABLE officers (
  id BIGSERIAL PRIMARY KEY,
  name TEXT NOT NULL,
  badge TEXT NOT NULL UNIQUE,
  station_id BIGINT NOT NULL
);

CREATE TABLE officer_villages (
  id BIGSERIAL PRIMARY KEY,
  officer_id BIGINT NOT NULL REFERENCES officers (id),
  village_code TEXT NOT NULL,
  UNIQUE (officer_id, village_code)
);

CREATE TABLE safegrid_meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE users (
  id BIGSERIAL PRIMARY KEY,
  username TEXT NOT NULL UNIQUE,
  password_hash TEXT NOT NULL,
  role TEXT NOT NULL CHECK (role IN ('city', 'county', 'township', 'village', 'analyst', 'admin')),
  jurisdiction TEXT,
  officer_id BIGINT,
  disabled BOOLEAN NOT NULL DEFAULT FALSE,
  created_at TIMESTAMPTZ NOT NULL,
  CHECK ((jurisdiction IS NULL) <> (officer_id IS NULL))
);

CREATE TABLE sessions (
  id BIGSERIAL PRIMARY KEY,
  token_hash TEXT NOT NULL UNIQUE,
  user_id BIGINT NOT NULL REFERENCES users (id),
  created_at TIMESTAMPTZ NOT NULL,
  expires_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE audit (
  id BIGSERIAL PRIMARY KEY,
  at TIMESTAMPTZ NOT NULL,
  actor TEXT NOT NULL,
  role TEXT,
  action TEXT NOT NULL,
  target TEXT NOT NULL,
  source TEXT,
  result TEXT NOT NULL,
  detail TEXT
);
CREATE INDEX audit_actor_at ON audit (actor, at);

CREATE FUNCTION safegrid_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
  FOR EACH ROW EXECUTE FUNCTION safegrid_audit_append_only();
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit
  FOR EACH STATEMENT EXECUTE FUNCTION safegrid_audit_append_only();
