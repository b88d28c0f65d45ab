-- Whether the database has a SafeGrid schema (its version is then in migrations_version.sql).
SELECT to_regclass('safegrid_migrations') IS NOT NULL
