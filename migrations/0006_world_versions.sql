-- Published versions of the world (safegrid world import / rollback). `world` holds
-- store::world_version::encode of the version's regions, cells, resources and officers.
CREATE TABLE world_versions (
  version INTEGER PRIMARY KEY,
  published_at TIMESTAMPTZ NOT NULL,
  published_by TEXT NOT NULL,
  note TEXT NOT NULL,
  changes TEXT NOT NULL,
  world BYTEA NOT NULL
);
