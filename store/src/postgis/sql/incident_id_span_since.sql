-- The lowest and the highest id of the incidents that occurred at or after $1: an index-only
-- scan of the window's part of the time index (occurred_at, id). Materialized so the planner
-- cannot turn min(id) into a walk of the primary key from the first id ever stored, filtering
-- every row older than the window (it assumes the window's rows are spread evenly over ids,
-- while they are the newest).
WITH window_ids AS MATERIALIZED (SELECT id FROM incidents WHERE occurred_at >= $1)
SELECT min(id), max(id) FROM window_ids
