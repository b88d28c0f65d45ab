-- Key places are places to protect, not physical prevention (物防, #30): stores written before
-- say `physical` in their `prevention` column (model::ResourceKind::prevention_name). Idempotent.
UPDATE resources SET prevention = 'protected' WHERE kind = 'key_place' AND prevention <> 'protected';
