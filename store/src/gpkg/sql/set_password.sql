UPDATE users SET password_hash = ?1 WHERE fid = ?2
