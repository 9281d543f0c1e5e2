-- Drop a job's whole journal, only while this holder has its lease.
-- KEYS[1] journal, KEYS[2] lease. ARGV[1] holder.
-- Answers {1} when dropped, {0, holder or ''} when the lease is not this holder's.
local current = redis.call('GET', KEYS[2])
if current ~= ARGV[1] then return {0, current or ''} end
redis.call('DEL', KEYS[1])
return {1}
