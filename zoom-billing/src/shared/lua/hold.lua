-- A per-second 429: no turn on these pacing keys starts before `hold` from
-- now (Redis's clock), for every process of the fleet.
-- KEYS[1..] pacing keys. ARGV[1] the hold, microseconds.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local hold_until = now + tonumber(ARGV[1])
for i = 1, #KEYS do
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  if hold_until > tat then
    redis.call('SET', KEYS[i], string.format('%.0f', hold_until), 'PX', math.floor((hold_until - now) / 1000) + 1000)
  end
end
return 1
