-- Commit a reserved turn just before its request is sent: check that, on
-- every key with a strict minimum interval ("1 request every 30 minutes"),
-- the previous request went out at least the interval ago (a process held
-- up after its turn started must not send closer to the next one than Zoom
-- allows), charge the unit to the UTC day of sending (Redis's clock), take
-- the label's slot (at its next free time: the wait is returned), and
-- record the send at that time. A label's slot is taken here, not when the
-- turn was reserved, so that a call waiting 30 minutes for its own turn
-- does not hold the label's schedule for the whole account meanwhile.
-- KEYS[1] pending reservations, KEYS[2] units used per UTC day (hash),
-- KEYS[3..] last-send keys, then label pacing keys. ARGV[1] reservation id,
-- ARGV[2] daily limit (-1: no budget), ARGV[3] the number of last-send keys,
-- ARGV[4..] each key's interval, in the keys' order.
-- Returns {"ok", day, now, label wait} | {"wait", wait, now} | {"exhausted", day, now}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local day = math.floor(tonumber(t[1]) / 86400)
local limit = tonumber(ARGV[2])
local sent = tonumber(ARGV[3])
local fmt = function(x) return string.format('%.0f', x) end

local due = now
for i = 1, sent do
  local last = tonumber(redis.call('GET', KEYS[2 + i]) or '0')
  local next = last + tonumber(ARGV[3 + i])
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
local start = now
for i = sent + 1, #KEYS - 2 do
  local tat = tonumber(redis.call('GET', KEYS[2 + i]) or '0')
  if tat > start then start = tat end
end
for i = sent + 1, #KEYS - 2 do
  local ours = start + tonumber(ARGV[3 + i])
  redis.call('SET', KEYS[2 + i], fmt(ours), 'PX', math.floor((ours - now) / 1000) + 1000)
end
for i = 1, sent do
  redis.call('SET', KEYS[2 + i], fmt(start), 'PX', math.floor((start - now + tonumber(ARGV[3 + i])) / 1000) + 1000)
end
return {'ok', fmt(day), fmt(now), fmt(start - now)}
