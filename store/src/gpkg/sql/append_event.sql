INSERT INTO live_events (seq, at, kind, subject, cell_code, category, actor, data, span) VALUES (
  max(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'live_events'), 0),
      COALESCE((SELECT max(seq) FROM live_events), 0)) + ?8, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
