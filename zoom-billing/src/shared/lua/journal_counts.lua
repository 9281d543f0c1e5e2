-- How many of a job's calls are done, per operation: fields are
-- '<operation>:<request digest>', a done entry's value starts with 'D'.
-- KEYS[1] journal.
-- Answers {operation, count, operation, count, ...}.
local all = redis.call('HGETALL', KEYS[1])
local counts = {}
local order = {}
for i = 1, #all, 2 do
  if string.sub(all[i + 1], 1, 1) == 'D' then
    local operation = string.match(all[i], '^([^:]*):') or ''
    if counts[operation] == nil then
      counts[operation] = 0
      table.insert(order, operation)
    end
    counts[operation] = counts[operation] + 1
  end
end
local answer = {}
for _, operation in ipairs(order) do
  table.insert(answer, operation)
  table.insert(answer, counts[operation])
end
return answer
