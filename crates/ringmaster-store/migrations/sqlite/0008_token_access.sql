-- Token access: a role that is now enforced, an optional expiry, an optional scope to title ids,
-- and when the token was last used (written at most once a minute per token).
-- Every token made before this migration keeps its stored role, which was always 'admin'.
-- titles: title ids joined by commas (title ids hold none); NULL for a token of every title.
ALTER TABLE api_tokens ADD COLUMN expires_at TEXT;
ALTER TABLE api_tokens ADD COLUMN titles TEXT;
ALTER TABLE api_tokens ADD COLUMN last_used_at TEXT;
UPDATE api_tokens SET role = 'admin' WHERE role NOT IN ('readOnly', 'manager', 'admin');
