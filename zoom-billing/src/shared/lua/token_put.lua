-- Store a new token until its renewal time and release the renewal lock if
-- this process still holds it.
-- KEYS[1] token, KEYS[2] renewal lock. ARGV[1] token, ARGV[2] time to live
-- (ms), ARGV[3] lock id.
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
if redis.call('GET', KEYS[2]) == ARGV[3] then redis.call('DEL', KEYS[2]) end
return 1
