-- A SafeGrid world file: an OGC GeoPackage 1.3 with six layers, WGS84 (EPSG:4326).
PRAGMA application_id = 1196444487; -- 'GPKG'
PRAGMA user_version = 10300;

CREATE TABLE gpkg_spatial_ref_sys (
  srs_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL PRIMARY KEY,
  organization TEXT NOT NULL,
  organization_coordsys_id INTEGER NOT NULL,
  definition TEXT NOT NULL,
  description TEXT
);
INSERT INTO gpkg_spatial_ref_sys VALUES
  ('Undefined cartesian SRS', -1, 'NONE', -1, 'undefined', 'undefined cartesian coordinate reference system'),
  ('Undefined geographic SRS', 0, 'NONE', 0, 'undefined', 'undefined geographic coordinate reference system'),
  ('WGS 84 geodetic', 4326, 'EPSG', 4326,
   'GEOGCS["WGS 84",DATUM["WGS_1984",SPHEROID["WGS 84",6378137,298.257223563,AUTHORITY["EPSG","7030"]],AUTHORITY["EPSG","6326"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AXIS["Latitude",NORTH],AXIS["Longitude",EAST],AUTHORITY["EPSG","4326"]]',
   'longitude/latitude coordinates in decimal degrees on the WGS 84 spheroid');

CREATE TABLE gpkg_contents (
  table_name TEXT NOT NULL PRIMARY KEY,
  data_type TEXT NOT NULL,
  identifier TEXT UNIQUE,
  description TEXT DEFAULT '',
  last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
  min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
  srs_id INTEGER,
  CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys(srs_id)
);

CREATE TABLE gpkg_geometry_columns (
  table_name TEXT NOT NULL,
  column_name TEXT NOT NULL,
  geometry_type_name TEXT NOT NULL,
  srs_id INTEGER NOT NULL,
  z TINYINT NOT NULL,
  m TINYINT NOT NULL,
  CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
  CONSTRAINT uk_gc_table_name UNIQUE (table_name),
  CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
  CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id)
);

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

INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) VALUES
  ('regions', 'features', 'regions', 'City, counties, townships and villages (行政区划)', 4326),
  ('cells', 'features', 'cells', 'Grid cells (网格)', 4326),
  ('resources', 'features', 'resources', 'Stations, checkpoints, key places, cameras, alarms (防控资源)', 4326),
  ('officers', 'attributes', 'officers', 'Village officers (驻村民警)', NULL),
  ('grid_workers', 'features', 'grid_workers', 'Grid workers (网格员)', 4326),
  ('units', 'features', 'units', 'Patrol units at their home position (巡逻组)', 4326);
INSERT INTO gpkg_geometry_columns VALUES
  ('regions', 'geom', 'MULTIPOLYGON', 4326, 0, 0),
  ('cells', 'geom', 'MULTIPOLYGON', 4326, 0, 0),
  ('resources', 'geom', 'POINT', 4326, 0, 0),
  ('grid_workers', 'geom', 'POINT', 4326, 0, 0),
  ('units', 'geom', 'POINT', 4326, 0, 0);
