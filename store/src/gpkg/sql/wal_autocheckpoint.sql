PRAGMA wal_autocheckpoint = {pages};
