INSERT INTO safegrid_migrations (version, name) VALUES ($1, $2)
