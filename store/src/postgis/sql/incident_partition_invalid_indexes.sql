-- Indexes of a partition ($1) left invalid by a build that died.
SELECT i.indexrelid::regclass::text FROM pg_index i WHERE i.indrelid = $1::text::regclass AND NOT i.indisvalid
