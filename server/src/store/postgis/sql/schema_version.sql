-- The schema version, 0 when the database has no SafeGrid schema.
SELECT CASE WHEN to_regclass('safegrid_migrations') IS NULL THEN 0
            ELSE (SELECT COALESCE(max(version), 0) FROM safegrid_migrations) END
