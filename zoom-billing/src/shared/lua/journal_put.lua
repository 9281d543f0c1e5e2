-- Write (or, given '', delete) one entry of a job's journal, only while this
-- holder has the job's lease: a runner that lost it writes nothing. The
-- journal is kept for its retention from its latest write.
-- KEYS[1] journal (a hash), KEYS[2] lease. ARGV[1] holder, ARGV[2] field,
-- ARGV[3] entry or '', ARGV[4] retention (ms).
-- Answers {1} when written, {0, holder or ''} when the lease is not this holder's.
local current = redis.call('GET', KEYS[2])
if current ~= ARGV[1] then return {0, current or ''} end
if ARGV[3] == '' then
  redis.call('HDEL', KEYS[1], ARGV[2])
else
  redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {1}
