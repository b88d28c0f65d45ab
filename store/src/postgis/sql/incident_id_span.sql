-- The lowest and the highest incident id (NULLs when there are none).
SELECT min(id), max(id) FROM incidents
