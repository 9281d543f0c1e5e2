-- The stored token and its remaining time to live (ms), or nothing.
-- KEYS[1] token.
local token = redis.call('GET', KEYS[1])
if not token then return {} end
return {token, redis.call('PTTL', KEYS[1])}
