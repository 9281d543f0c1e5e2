-- Delete a key only while it still holds the given value: a token Zoom
-- rejected (not the newer one another process stored since), or a lock
-- this process holds.
-- KEYS[1] key. ARGV[1] value.
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
