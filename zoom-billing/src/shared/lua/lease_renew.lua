-- Renew a job's lease only while this holder still has it: a lease that
-- expired (and may have been taken since) is lost, never taken back here.
-- KEYS[1] lease. ARGV[1] holder, ARGV[2] time to live (ms).
-- Answers {1} when renewed, {0, holder or ''} when lost.
local current = redis.call('GET', KEYS[1])
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {1}
end
return {0, current or ''}
