-- Incidents in partitions by id (issue 31: PostGIS ingest). Keeping the spatial, time and
-- cell+time indexes row by row was most of a batch's database time (10,000 rows into 400,000:
-- about 175 ms with them, 65 ms without). New rows go to an open partition that has only its
-- primary key and a BRIN index on the time; once every id of a partition is drawn, the store
-- builds that partition's three indexes over all its rows at once (`store::postgis::partitions`),
-- about a third of the cost of keeping them row by row (3.4 µs a row for the three here).
--
-- The idempotency key (source, external_id) cannot be unique across partitions by id, so it
-- moves to its own table, `incident_keys`, whose primary key keeps the name the store checks
-- for (`incidents_source_external_id`).
--
-- The table as it was becomes the first partition, `incidents_before`, with its indexes: the ids
-- up to the largest stored so far.

ALTER TABLE incidents RENAME TO incidents_before;
ALTER INDEX incidents_pkey RENAME TO incidents_before_pkey;
DROP INDEX incidents_source_external_id;

CREATE TABLE incident_keys (
  source TEXT NOT NULL,
  external_id TEXT NOT NULL,
  id BIGINT NOT NULL,
  CONSTRAINT incidents_source_external_id PRIMARY KEY (source, external_id)
);
INSERT INTO incident_keys (source, external_id, id)
SELECT source, external_id, id FROM incidents_before WHERE external_id IS NOT NULL;

CREATE TABLE incidents (LIKE incidents_before INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
  PARTITION BY RANGE (id);
ALTER TABLE incidents ADD PRIMARY KEY (id);
ALTER SEQUENCE incidents_id_seq OWNED BY incidents.id;

-- The partitions SafeGrid made: their ids [lo, hi), and whether their secondary indexes are built.
CREATE TABLE incident_partitions (
  name TEXT PRIMARY KEY,
  lo BIGINT NOT NULL,
  hi BIGINT NOT NULL CHECK (hi > lo),
  indexed BOOLEAN NOT NULL DEFAULT false
);

-- A new partition for ids [lo, hi): its primary key and a BRIN index on the time, attached
-- (which does not block reads or writes of the others).
CREATE FUNCTION safegrid_add_incident_partition(lo BIGINT, hi BIGINT) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  part_name TEXT := 'incidents_from_' || lo;
BEGIN
  EXECUTE format('CREATE TABLE %I (LIKE incidents INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part_name);
  EXECUTE format('ALTER TABLE %I ADD PRIMARY KEY (id)', part_name);
  EXECUTE format('CREATE INDEX %I ON %I USING brin (occurred_at)', part_name || '_brin', part_name);
  EXECUTE format('ALTER TABLE incidents ATTACH PARTITION %I FOR VALUES FROM (%s) TO (%s)',
                 part_name, lo, hi);
  INSERT INTO incident_partitions (name, lo, hi) VALUES (part_name, lo, hi);
END
$$;

-- Partitions ahead of the ids drawn: afterwards every id up to the last drawn + `more` + half a
-- partition has its partition. With `one_partition_to` past the last partition (a restore of
-- ids up to it), the ids below it get one partition of their own first. Made under a lock, so
-- instances do not race. Answers the end (exclusive) of the last partition, the ids a partition
-- holds, the end of the first partition whose indexes are not built (NULL: none), and the last
-- id drawn.
CREATE FUNCTION safegrid_ensure_incident_partitions(more BIGINT, one_partition_to BIGINT)
RETURNS TABLE (partitions_end BIGINT, partition_ids BIGINT, first_unindexed_end BIGINT, last_id BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
  size BIGINT := (SELECT value::bigint FROM safegrid_meta WHERE key = 'incident_partition_ids');
  drawn BIGINT;
  last_hi BIGINT;
BEGIN
  PERFORM pg_advisory_xact_lock(1517183267);
  drawn := (SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM incidents_id_seq);
  last_hi := (SELECT max(hi) FROM incident_partitions);
  IF one_partition_to IS NOT NULL AND one_partition_to > last_hi THEN
    PERFORM safegrid_add_incident_partition(last_hi, one_partition_to);
    last_hi := one_partition_to;
  END IF;
  WHILE last_hi <= drawn + more + size / 2 LOOP
    PERFORM safegrid_add_incident_partition(last_hi, last_hi + size);
    last_hi := last_hi + size;
  END LOOP;
  RETURN QUERY
    SELECT last_hi, size, (SELECT min(p.hi) FROM incident_partitions p WHERE NOT p.indexed), drawn;
END
$$;

DO $$
DECLARE
  first_new BIGINT := (SELECT COALESCE(max(id), 0) + 1 FROM incidents_before);
BEGIN
  EXECUTE format('ALTER TABLE incidents ATTACH PARTITION incidents_before FOR VALUES FROM (MINVALUE) TO (%s)',
                 first_new);
  INSERT INTO incident_partitions (name, lo, hi, indexed)
    VALUES ('incidents_before', -9223372036854775808, first_new, true);
  -- Ids a partition holds (building its three indexes takes about a second here).
  INSERT INTO safegrid_meta (key, value) VALUES ('incident_partition_ids', '262144')
    ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
  PERFORM safegrid_add_incident_partition(first_new, first_new + 262144);
END
$$;
