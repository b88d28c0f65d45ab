SELECT COALESCE(max(version), 0) FROM safegrid_migrations
