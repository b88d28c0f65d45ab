-- The user of a live session: token known, not expired at $2, user not disabled.
SELECT u.id, u.username, u.role, u.jurisdiction, u.officer_id, u.disabled, u.password_hash, u.department, u.grid_worker_id
FROM sessions s JOIN users u ON u.id = s.user_id
WHERE s.token_hash = $1 AND s.expires_at > $2::text::timestamptz AND NOT u.disabled
