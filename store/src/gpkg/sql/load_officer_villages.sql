SELECT officer_id, village_code FROM officer_villages ORDER BY officer_id, village_code
