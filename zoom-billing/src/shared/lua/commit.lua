-- Commit a reserved turn just before its request is sent: check that, on
-- every key with a strict minimum interval ("1 request every 30 minutes"),
-- the previous request went out at least the interval ago (a process held
-- up after its turn started must not send closer to the next one than Zoom
-- allows), then record this send and charge the unit to the UTC day of
-- sending (Redis's clock). Rate keys are not checked here: their turns'
-- schedule keeps the rate.
-- KEYS[1] pending reservations, KEYS[2] units used per UTC day (hash),
-- KEYS[3..] last-send keys. ARGV[1] reservation id, ARGV[2] daily limit
-- (-1: no budget), ARGV[3..] each last-send key's interval.
-- Returns {"ok", day, now} | {"wait", wait, now} | {"exhausted", day, now}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local day = math.floor(tonumber(t[1]) / 86400)
local limit = tonumber(ARGV[2])
local fmt = function(x) return string.format('%.0f', x) end

local due = now
for i = 3, #KEYS do
  local last = tonumber(redis.call('GET', KEYS[i]) or '0')
  local next = last + tonumber(ARGV[i])
  if next > due then due = next end
end
if due > now then return {'wait', fmt(due - now), fmt(now)} end

if limit >= 0 then
  redis.call('ZREM', KEYS[1], ARGV[1])
  local used = tonumber(redis.call('HGET', KEYS[2], day) or '0')
  if used >= limit then return {'exhausted', fmt(day), fmt(now)} end
  redis.call('HINCRBY', KEYS[2], day, 1)
  -- Only today and yesterday matter: older days go.
  for _, field in ipairs(redis.call('HKEYS', KEYS[2])) do
    if tonumber(field) == nil or tonumber(field) < day - 1 then redis.call('HDEL', KEYS[2], field) end
  end
  redis.call('PEXPIRE', KEYS[2], 172800000)
end
for i = 3, #KEYS do
  redis.call('SET', KEYS[i], fmt(now), 'PX', math.floor(tonumber(ARGV[i]) / 1000) + 1000)
end
return {'ok', fmt(day), fmt(now)}
