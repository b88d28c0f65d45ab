-- Key places (schools, markets, hospitals) are places to protect, not physical prevention (物防,
-- #30): their `prevention` column says `protected` (model::ResourceKind::prevention_name).
UPDATE resources SET prevention = 'protected' WHERE kind = 'key_place';
