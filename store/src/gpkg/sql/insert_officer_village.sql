INSERT INTO officer_villages (officer_id, village_code) VALUES (?1, ?2)
