SELECT code, kind, name_zh, name_en, region_code FROM departments ORDER BY code
