INSERT INTO desk_photos (seq, content_type, bytes) VALUES (?1, ?2, ?3)
