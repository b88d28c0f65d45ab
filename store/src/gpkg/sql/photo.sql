SELECT content_type, bytes FROM desk_photos WHERE seq = ?1
