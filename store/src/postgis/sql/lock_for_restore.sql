-- copy-store: nobody writes while the empty database is checked and filled.
LOCK TABLE regions, cells, incidents, incident_keys, users, audit IN EXCLUSIVE MODE
