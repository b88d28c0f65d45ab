SELECT fid, at, actor, role, action, target, source, result, detail FROM audit
WHERE (?1 IS NULL OR actor = ?1) AND (?2 IS NULL OR action = ?2) AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at < ?4)
ORDER BY fid DESC LIMIT ?5
