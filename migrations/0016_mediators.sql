-- The villages' mediator rosters (调解员名册, #30): the 法治带头人 the desk may name to mediate
-- a dispute, kept as base data with the world (the world file's `mediators` layer).
CREATE TABLE mediators (
  id BIGINT PRIMARY KEY,
  name TEXT NOT NULL,
  mediator_role TEXT NOT NULL CHECK (mediator_role IN ('village_cadre', 'legal_literate', 'peoples_mediator', 'respected_local')),
  village_code TEXT NOT NULL CHECK (village_code ~ '^[0-9]{12}$'),
  phone TEXT
);
CREATE INDEX mediators_village ON mediators (village_code);
