SELECT seq, at, kind, subject, cell_code, category, actor, data, span FROM live_events
