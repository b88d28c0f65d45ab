-- Every cell ($6 NULL) or one range of cell codes: a plain predicate, planned with its values (an
-- index scan of (cell_code, occurred_at) for a narrow range, a parallel scan for the whole city).
(SELECT * FROM incidents WHERE $6::text[] IS NULL OR cell_code BETWEEN ($6::text[])[1] AND ($7::text[])[1]) AS i
