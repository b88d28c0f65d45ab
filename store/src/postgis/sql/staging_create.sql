-- The bulk load's staging table: the incident columns plus the row's position in the load.
CREATE TEMP TABLE incidents_staging (
  ord BIGINT NOT NULL, geom geometry NOT NULL, source TEXT NOT NULL, external_id TEXT,
  category TEXT NOT NULL, subcategory TEXT, occurred_at TIMESTAMPTZ NOT NULL, reported_at TIMESTAMPTZ NOT NULL,
  address TEXT, summary TEXT, reporter_name TEXT, reporter_phone TEXT, severity TEXT NOT NULL, status TEXT NOT NULL,
  county_code TEXT NOT NULL, township_code TEXT NOT NULL, village_code TEXT NOT NULL, cell_code TEXT NOT NULL
) ON COMMIT DROP
