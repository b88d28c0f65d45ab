-- The writer's statement journals in memory: an insert into `incidents` fires the incident
-- parts' trigger, so SQLite keeps a statement journal for it, which in a temporary file cost a
-- write system call per incident of a batch (the demo world of ten years took 40% longer).
PRAGMA temp_store = MEMORY;
