-- Packed live-log rows (#6 batch ingest): a run of events of one packable kind written together
-- (new incidents of a batch, their 一警多报 links, alerts, unit pings) is one row holding `span`
-- events; the row's seq is the last event's and the others take the seqs below it
-- (model::live::LogRow). Rows from before hold one event each.
ALTER TABLE live_events ADD COLUMN span integer NOT NULL DEFAULT 1 CHECK (span >= 1);
