-- Every cell ($6 NULL) or one range of cell codes: a plain predicate, planned with its values (an
-- index scan of (cell_code, occurred_at) for a narrow range, a parallel scan for a county), and
-- written last so a scan tests the time first (comparing codes costs more).
AND ($6::text[] IS NULL OR i.cell_code BETWEEN ($6::text[])[1] AND ($7::text[])[1])
