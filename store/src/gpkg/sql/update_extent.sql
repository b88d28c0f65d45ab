UPDATE gpkg_contents SET min_x = ?1, min_y = ?2, max_x = ?3, max_y = ?4,
  last_change = strftime('%Y-%m-%dT%H:%M:%fZ','now') WHERE table_name = ?5
