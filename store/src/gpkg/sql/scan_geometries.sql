SELECT geom FROM {table}
