-- The key of channel integrations' tracking codes (#27): made once per database (two random
-- UUIDs, 244 random bits), shared by every instance, kept in backups.
INSERT INTO safegrid_meta (key, value)
VALUES ('tracking_secret', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''))
ON CONFLICT (key) DO NOTHING;
