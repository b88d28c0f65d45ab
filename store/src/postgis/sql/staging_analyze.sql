-- Statistics for the clash joins (a fresh temp table has none: the planner would guess).
ANALYZE incidents_staging
