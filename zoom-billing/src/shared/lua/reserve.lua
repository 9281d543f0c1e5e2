-- Reserve one turn of an operation, atomically: the daily budget (used +
-- pending < limit, not blocked by a daily 429) and every pacing key
-- (GCRA: a key holds the end of the latest turn taken, its "theoretical
-- arrival time"). Times are microseconds of Redis's own clock, so the
-- processes of a fleet need not agree on theirs.
--
-- KEYS[1] blocked-until key, KEYS[2] pending reservations (sorted set),
-- KEYS[3] units used per UTC day (hash), KEYS[4..] pacing keys.
-- ARGV[1] daily limit (-1: none, but a daily 429 still blocks; -2: budgets
-- off), ARGV[2] max wait (-1: none),
-- ARGV[3] reservation id, ARGV[4] how long a pending unit outlives its
-- start, ARGV[5..] each pacing key's interval.
-- Returns {"ok", start, now, prev1, ours1, ...} | {"blocked", until, now}
-- | {"exhausted", day, now} | {"wait", wait, now}.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local day = math.floor(tonumber(t[1]) / 86400)
local limit = tonumber(ARGV[1])
local max_wait = tonumber(ARGV[2])
local fmt = function(x) return string.format('%.0f', x) end

if limit >= -1 then
  local blocked = tonumber(redis.call('GET', KEYS[1]) or '0')
  if blocked > now then return {'blocked', fmt(blocked), fmt(now)} end
end
if limit >= 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
  local pending = redis.call('ZCARD', KEYS[2])
  local used = tonumber(redis.call('HGET', KEYS[3], day) or '0')
  if used + pending >= limit then return {'exhausted', fmt(day), fmt(now)} end
end

local start = now
local prev = {}
for i = 4, #KEYS do
  local tat = tonumber(redis.call('GET', KEYS[i]) or '0')
  prev[i] = tat
  if tat > start then start = tat end
end
if max_wait >= 0 and start - now > max_wait then return {'wait', fmt(start - now), fmt(now)} end

local out = {'ok', fmt(start), fmt(now)}
for i = 4, #KEYS do
  local ours = start + tonumber(ARGV[i + 1])
  redis.call('SET', KEYS[i], fmt(ours), 'PX', math.floor((ours - now) / 1000) + 1000)
  table.insert(out, fmt(prev[i]))
  table.insert(out, fmt(ours))
end
if limit >= 0 then
  redis.call('ZADD', KEYS[2], start + tonumber(ARGV[4]), ARGV[3])
  redis.call('PEXPIRE', KEYS[2], 172800000)
end
return out
