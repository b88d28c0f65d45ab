-- Index fields of the filtered incidents in the index's time order.
WITH hits AS (/*hits*/)
SELECT id, ST_X(geom), ST_Y(geom), source, category, subcategory,
       floor(extract(epoch FROM occurred_at))::bigint AS occurred_s, floor(extract(epoch FROM reported_at))::bigint,
       severity, status, cell_code
FROM hits
ORDER BY occurred_s, id
