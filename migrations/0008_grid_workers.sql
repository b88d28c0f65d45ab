-- Grid workers as users (#27): a grid worker's jurisdiction is the cells of their grid worker of
-- the world, so a user has exactly one of a jurisdiction, an officer and a grid worker.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
  CHECK (role IN ('city', 'county', 'township', 'village', 'analyst', 'admin', 'department', 'grid_worker'));
ALTER TABLE users ADD COLUMN grid_worker_id BIGINT;
ALTER TABLE users ADD CONSTRAINT users_grid_worker_check CHECK ((grid_worker_id IS NOT NULL) = (role = 'grid_worker'));
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_check;
ALTER TABLE users ADD CONSTRAINT users_one_jurisdiction_check CHECK (num_nonnulls(jurisdiction, officer_id, grid_worker_id) = 1);
