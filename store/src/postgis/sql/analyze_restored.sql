-- Statistics for the tables a restore filled, so the first queries are planned for their size
-- (autovacuum analyzes them only after its throttled vacuum of the new rows, minutes later at
-- millions of incidents; till then a count over them was planned as a bitmap scan of a few
-- thousand rows: 4.9–8.3 s at ten years against 1.8 s analyzed).
ANALYZE incidents, incident_keys, regions, cells, resources, users, audit, live_events
