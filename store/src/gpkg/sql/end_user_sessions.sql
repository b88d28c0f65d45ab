DELETE FROM sessions WHERE user_id = (SELECT fid FROM users WHERE username = ?1)
