-- Give back what a request that was never sent took: its pending unit, the
-- unit charged to a day, and each pacing turn, but a turn only while no
-- later one was taken after it (then the key goes back to what it was).
-- KEYS[1] pending reservations, KEYS[2] units used per UTC day, KEYS[3..] pacing keys.
-- ARGV[1] reservation id, ARGV[2] charged day (-1: none), ARGV[3..] per
-- pacing key: the value before the turn, the turn's end.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
redis.call('ZREM', KEYS[1], ARGV[1])
local day = tonumber(ARGV[2])
if day >= 0 then
  local used = tonumber(redis.call('HGET', KEYS[2], ARGV[2]) or '0')
  if used > 0 then redis.call('HINCRBY', KEYS[2], ARGV[2], -1) end
end
for i = 3, #KEYS do
  local prev = ARGV[2 * (i - 3) + 3]
  local ours = ARGV[2 * (i - 3) + 4]
  if redis.call('GET', KEYS[i]) == ours then
    local p = tonumber(prev)
    if p > now then
      redis.call('SET', KEYS[i], prev, 'PX', math.floor((p - now) / 1000) + 1000)
    else
      redis.call('DEL', KEYS[i])
    end
  end
end
return 1
