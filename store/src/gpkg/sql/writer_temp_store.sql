-- The writer's statement journals in memory. An update or delete of an incident fires the
-- incident parts' trigger, so SQLite keeps a statement journal for it; in a temporary file that
-- is a write system call per statement (measured with a trigger on inserts, since dropped: the
-- ten-year demo world took 40% longer to write, twice the system time).
PRAGMA temp_store = MEMORY;
