-- Packed live-log rows hold up to 10,000 events (megabytes of JSON). TOAST's default pglz spends
-- ~45 ms compressing one such row, lz4 a few: use lz4 where the server has it (PostgreSQL ≥ 14
-- built with lz4, as Debian's is). Rows already stored keep their compression.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
    EXECUTE 'ALTER TABLE live_events ALTER COLUMN data SET COMPRESSION lz4';
  END IF;
END
$$;
