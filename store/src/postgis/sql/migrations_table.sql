-- Which migrations have been applied.
CREATE TABLE IF NOT EXISTS safegrid_migrations (
  version INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  applied_at TIMESTAMPTZ NOT NULL DEFAULT now())
