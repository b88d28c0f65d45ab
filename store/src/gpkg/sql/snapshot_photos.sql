SELECT seq, content_type, bytes FROM desk_photos ORDER BY seq
