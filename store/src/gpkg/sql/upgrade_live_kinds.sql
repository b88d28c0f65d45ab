-- Stores written before a live-log kind was added (the village desk's, #9; campaigns, #29;
-- screenings, petitions and receptions, #30; forecast trials, #32) lack it in live_events' CHECK. SQLite cannot alter a CHECK, so the table is rebuilt with the kinds of schema.sql
-- (keep the two lists equal), seq and packed rows' span kept. Run after upgrade_live_span and
-- before schema.sql, inside one transaction.
CREATE TABLE live_events_new (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at DATETIME NOT NULL,
  kind TEXT NOT NULL CHECK (kind IN ('incident', 'incident_changed', 'incident_linked', 'unit', 'alert', 'alert_acked',
                                     'assignment', 'visit', 'dispute', 'dispute_changed', 'backlog_case',
                                     'campaign', 'screening', 'petition', 'petition_changed',
                                     'reception', 'forecast_trial')),
  subject INTEGER NOT NULL,
  cell_code TEXT,
  category TEXT,
  actor TEXT,
  data TEXT NOT NULL,
  span INTEGER NOT NULL DEFAULT 1 CHECK (span >= 1)
);
INSERT INTO live_events_new SELECT seq, at, kind, subject, cell_code, category, actor, data, span FROM live_events;
DROP TABLE live_events;
ALTER TABLE live_events_new RENAME TO live_events;
