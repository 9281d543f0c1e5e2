-- Add an entry to a job's journal unless it has one for that field, only
-- while this holder has the job's lease: a creating request is journaled as
-- sent by one call only, however many send it at once.
-- KEYS[1] journal (a hash), KEYS[2] lease. ARGV[1] holder, ARGV[2] field,
-- ARGV[3] entry, ARGV[4] retention (ms).
-- Answers {1} when added, {2} when the field has an entry, {0, holder or ''}
-- when the lease is not this holder's.
local current = redis.call('GET', KEYS[2])
if current ~= ARGV[1] then return {0, current or ''} end
if redis.call('HSETNX', KEYS[1], ARGV[2], ARGV[3]) == 0 then return {2} end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {1}
