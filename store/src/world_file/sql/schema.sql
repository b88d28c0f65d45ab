-- A SafeGrid world file: an OGC GeoPackage 1.3 with six layers, WGS84 (EPSG:4326).
-- (The GeoPackage core tables come from store/src/gpkg/sql/core.sql, run first.)

CREATE TABLE regions (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  geom MULTIPOLYGON,
  code TEXT NOT NULL,
  name TEXT NOT NULL,
  level TEXT NOT NULL,
  parent_code TEXT,
  population INTEGER NOT NULL,
  households INTEGER NOT NULL,
  synthetic BOOLEAN NOT NULL
);
CREATE TABLE cells (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  geom MULTIPOLYGON,
  code TEXT NOT NULL,
  name TEXT NOT NULL,
  village_code TEXT NOT NULL,
  population INTEGER NOT NULL,
  households INTEGER NOT NULL,
  synthetic BOOLEAN NOT NULL
);
CREATE TABLE resources (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  geom POINT,
  id INTEGER NOT NULL,
  kind TEXT NOT NULL,
  name TEXT NOT NULL,
  region_code TEXT NOT NULL,
  subtype TEXT,
  heading_deg DOUBLE,
  fov_deg DOUBLE,
  range_m DOUBLE
);
CREATE TABLE officers (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id INTEGER NOT NULL,
  name TEXT NOT NULL,
  badge TEXT NOT NULL,
  station_id INTEGER NOT NULL,
  villages TEXT NOT NULL
);
CREATE TABLE departments (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  code TEXT NOT NULL,
  kind TEXT NOT NULL,
  name_zh TEXT NOT NULL,
  name_en TEXT NOT NULL,
  region_code TEXT NOT NULL
);
CREATE TABLE grid_workers (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  geom POINT,
  id INTEGER NOT NULL,
  name TEXT NOT NULL,
  cell_code TEXT NOT NULL,
  phone TEXT,
  leader BOOLEAN NOT NULL
);
CREATE TABLE units (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  geom POINT,
  id INTEGER NOT NULL,
  name TEXT NOT NULL,
  type TEXT,
  region_code TEXT NOT NULL
);
CREATE TABLE mediators (
  fid INTEGER PRIMARY KEY AUTOINCREMENT,
  id INTEGER NOT NULL,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  village_code TEXT NOT NULL,
  phone TEXT
);

INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
  ('regions', 'features', 'regions', 'City, counties, townships and villages (行政区划)', 4326),
  ('cells', 'features', 'cells', 'Grid cells (网格)', 4326),
  ('resources', 'features', 'resources', 'Stations, checkpoints, key places, cameras, alarms (防控资源)', 4326),
  ('officers', 'attributes', 'officers', 'Village officers (驻村民警)', NULL),
  ('grid_workers', 'features', 'grid_workers', 'Grid workers (网格员)', 4326),
  ('units', 'features', 'units', 'Patrol units at their home position (巡逻组)', 4326),
  ('departments', 'attributes', 'departments', 'Departments that take work orders (部门)', NULL),
  ('mediators', 'attributes', 'mediators', 'Villages'' mediator rosters (调解员名册)', NULL);
INSERT INTO gpkg_geometry_columns VALUES
  ('regions', 'geom', 'MULTIPOLYGON', 4326, 0, 0),
  ('cells', 'geom', 'MULTIPOLYGON', 4326, 0, 0),
  ('resources', 'geom', 'POINT', 4326, 0, 0),
  ('grid_workers', 'geom', 'POINT', 4326, 0, 0),
  ('units', 'geom', 'POINT', 4326, 0, 0);
