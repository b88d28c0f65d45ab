INSERT INTO departments (code, kind, name_zh, name_en, region_code) VALUES ($1, $2, $3, $4, $5)
