-- Take a job's lease, or keep it: set when absent, already this holder's,
-- or still held by `stale`, a holder this runner found dead (a process of
-- this host that is gone).
-- KEYS[1] lease. ARGV[1] holder, ARGV[2] time to live (ms), ARGV[3] stale holder or ''.
-- Answers {1} when this holder has it now, {0, holder} when another has it.
local current = redis.call('GET', KEYS[1])
if current == false or current == ARGV[1] or (ARGV[3] ~= '' and current == ARGV[3]) then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {1}
end
return {0, current}
