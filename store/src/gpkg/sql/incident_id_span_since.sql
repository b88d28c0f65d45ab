-- The lowest and the highest id of the incidents that occurred at or after ?1 (a scan: the
-- embedded store holds every incident in memory and reads this only in tests).
SELECT min(fid), max(fid) FROM incidents WHERE occurred_at >= ?1
