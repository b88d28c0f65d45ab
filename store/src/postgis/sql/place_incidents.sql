-- New placements for many incidents at once (parallel arrays).
UPDATE incidents AS i
SET county_code = u.county_code, township_code = u.township_code, village_code = u.village_code, cell_code = u.cell_code
FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[])
  AS u(id, county_code, township_code, village_code, cell_code)
WHERE i.id = u.id
