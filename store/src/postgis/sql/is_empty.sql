-- Whether the database holds no SafeGrid data (a copy-store target must be empty).
SELECT NOT EXISTS (SELECT 1 FROM regions) AND NOT EXISTS (SELECT 1 FROM cells)
   AND NOT EXISTS (SELECT 1 FROM incidents) AND NOT EXISTS (SELECT 1 FROM users)
   AND NOT EXISTS (SELECT 1 FROM audit)
