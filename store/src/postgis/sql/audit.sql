-- The audit log, newest first, filtered by actor, action and [from, to).
SELECT id, at, actor, role, action, target, source, result, detail FROM audit
WHERE ($1::text IS NULL OR actor = $1) AND ($2::text IS NULL OR action = $2)
  AND ($3::text IS NULL OR at >= $3::text::timestamptz) AND ($4::text IS NULL OR at < $4::text::timestamptz)
ORDER BY id DESC
LIMIT $5
