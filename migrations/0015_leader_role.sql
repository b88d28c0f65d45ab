-- Leaders (领导, #30) are users of a role of their own: they read, take charge of backlog cases
-- and keep the receptions calendar, and change no case.
ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
  CHECK (role IN ('city', 'county', 'township', 'village', 'analyst', 'admin', 'department', 'grid_worker', 'leader'));
