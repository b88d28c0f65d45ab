-- Filtered incidents counted per cell, in the database.
WITH hits AS (/*hits*/)
SELECT cell_code, count(*) FROM hits GROUP BY cell_code
