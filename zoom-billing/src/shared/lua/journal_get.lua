-- One entry of a job's journal.
-- KEYS[1] journal (a hash). ARGV[1] field.
-- Answers {entry}, or {} when there is none.
local entry = redis.call('HGET', KEYS[1], ARGV[1])
if entry then return {entry} end
return {}
