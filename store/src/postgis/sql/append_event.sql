-- Live-log rows (model::live::LogRow), one array per column, under the seqs given in $1: a row
-- holding `span` events is numbered by the last of its span's seqs (reserved by `reserve_seqs`
-- under the live lock, so seq order is commit order). The arrays are unnested in the select
-- list, not in FROM and not sorted: a batch's rows outgrow `work_mem` (see insert_incidents).
INSERT INTO live_events (seq, at, kind, subject, cell_code, category, actor, data, span)
SELECT unnest($1::bigint[]), unnest($2::timestamptz[]), unnest($3::text[]), unnest($4::bigint[]),
       unnest($5::text[]), unnest($6::text[]), unnest($7::text[]), unnest($8::text[]), unnest($9::integer[])
