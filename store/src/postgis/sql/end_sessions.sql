-- Ends a user's sessions except the one kept ($2, may be NULL).
DELETE FROM sessions WHERE user_id = $1 AND token_hash IS DISTINCT FROM $2
