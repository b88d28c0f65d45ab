-- The 综治 work-order loop (#26): departments as base data, and department staff as users.
-- A work order's state lives in the live log (each `incident_changed` of an order carries it).
CREATE TABLE departments (
  id BIGSERIAL PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  kind TEXT NOT NULL,
  name_zh TEXT NOT NULL,
  name_en TEXT NOT NULL,
  region_code TEXT NOT NULL CHECK (region_code ~ '^[0-9]{12}$')
);

ALTER TABLE users DROP CONSTRAINT users_role_check;
ALTER TABLE users ADD CONSTRAINT users_role_check
  CHECK (role IN ('city', 'county', 'township', 'village', 'analyst', 'admin', 'department'));
ALTER TABLE users ADD COLUMN department TEXT;
ALTER TABLE users ADD CONSTRAINT users_department_check CHECK ((department IS NOT NULL) = (role = 'department'));
