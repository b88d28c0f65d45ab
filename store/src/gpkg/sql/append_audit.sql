INSERT INTO audit (at, actor, role, action, target, source, result, detail)
VALUES (strftime('%Y-%m-%dT%H:%M:%fZ','now'), ?1, ?2, ?3, ?4, ?5, ?6, ?7)
