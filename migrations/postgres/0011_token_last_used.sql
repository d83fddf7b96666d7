-- When each API token was last used, to the minute (the dashboard's token list shows it, so an
-- admin can tell a token nobody uses any more from one in daily use).
ALTER TABLE api_tokens ADD COLUMN last_used_at BIGINT;
