-- The index fields of the incidents packed per part of the id range (incident_parts.rs). A
-- part's blob is deleted with any delete or change of an index field of an incident in it, in
-- the same transaction, whoever writes. An insert only adds a row, which the part's count shows
-- (no trigger on inserts: it cost a fifth of a batch's time).
CREATE TABLE IF NOT EXISTS incident_parts (
  part INTEGER PRIMARY KEY,
  rows BLOB NOT NULL
);
CREATE TRIGGER IF NOT EXISTS incident_parts_update
AFTER UPDATE OF fid, geom, source, category, subcategory, occurred_at, reported_at, severity, status, cell_code
ON incidents
BEGIN
  DELETE FROM incident_parts WHERE part IN (OLD.fid >> {bits}, NEW.fid >> {bits});
END;
CREATE TRIGGER IF NOT EXISTS incident_parts_delete AFTER DELETE ON incidents
BEGIN
  DELETE FROM incident_parts WHERE part = OLD.fid >> {bits};
END;
