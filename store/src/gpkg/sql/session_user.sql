WHERE disabled = 0 AND fid = (SELECT user_id FROM sessions WHERE token_hash = ?1 AND expires_at > ?2)
