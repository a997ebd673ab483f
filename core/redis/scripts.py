"""The Lua scripts: each runs as one atomic step on the server that holds the scope's slot.

A script checks the types of the keys it will write before it writes anything,
because Redis does not roll back the writes of a script that fails half-way.
Entries are compared as the bytes our encoder wrote (`codec.encode_entry` is
deterministic), so "holds `expected`" means "holds exactly that entry".
"""

from __future__ import annotations

# Shared helpers; every script starts with them.
_PRELUDE = r"""
local function kind_of(key)
  return redis.call('TYPE', key)['ok']
end
local function wrong(key, want)
  local found = kind_of(key)
  if found ~= 'none' and found ~= want then
    return 'WRONGTYPE ' .. key .. ' holds a ' .. found .. ', not a ' .. want
  end
  return nil
end
local function number_at(key)
  local text = redis.call('GET', key)
  if not text then return 0 end
  local n = tonumber(text)
  if not n then error('WRONGTYPE ' .. key .. ' does not hold a number') end
  return n
end
-- A scope's version is '<commits>:<incarnation>'; the incarnation (the server's time of the
-- scope's first commit) tells a scope re-created after its data was lost from the one before.
local function version_at(key)
  local text = redis.call('GET', key)
  if not text then return 0, nil end
  local n, inc = string.match(text, '^(%d+):(%d+)$')
  if not n then error('WRONGTYPE ' .. key .. ' does not hold a version') end
  return tonumber(n), inc
end
local function token(n, inc)
  if inc == nil then return '0:0' end
  return string.format('%d:%s', n, inc)
end
-- The commit count of a version the caller knows, if it is of this incarnation (a caller
-- that knew the scope empty knows every incarnation's start); else nil.
local function known_count(known, inc)
  local n, kinc = string.match(known, '^(%d+):(%d+)$')
  if not n then return nil end
  n = tonumber(n)
  if n ~= 0 and kinc ~= inc then return nil end
  return n
end
local function each_chunk(items, size, fn)
  local i = 1
  while i <= #items do
    local last = math.min(i + size - 1, #items)
    fn(unpack(items, i, last))
    i = last + 1
  end
end
-- The keys the log's entries after `known` (up to `upto`) name, or nil when the log
-- does not reach back that far or an entry touched too many keys to list them.
local function logged_since(log, known, upto, set, limit)
  if upto - known > 1000 then return nil end
  if upto == known then return set end
  local found = redis.call('XRANGE', log, (known + 1) .. '-0', upto .. '-0')
  if #found ~= upto - known then return nil end
  for _, item in ipairs(found) do
    local fields = item[2]
    local keys = nil
    for j = 1, #fields, 2 do
      if fields[j] == 'keys' then keys = fields[j + 1] end
    end
    if keys == nil or keys == '*' then return nil end
    for _, k in ipairs(cjson.decode(keys)) do
      if not set[k] then set[k] = true; set[#set + 1] = k end
      if #set > limit then return nil end
    end
  end
  return set
end
"""

#: KEYS: store, version, log, done, [feed]
#: ARGV: commit id, known version ('' unknown), base, scope, log cap, feed cap, listed-keys cap,
#:       nsets, (field, entry)*, npurges, field*, nchecked, (field, expected, new)*
#:       where expected/new are '' (absent / purge) or '=' followed by the entry.
#: Returns {'conflict', field, actual ('' or '='..entry), ...}
#:      or {'ok', new version, 'same'}            (nobody else wrote since `known`)
#:      or {'ok', new version, 'keys', field, entry-or-'', ...}  (others' keys, as now stored)
#:      or {'ok', new version, 'reload'}          (others wrote; the log cannot say what)
COMMIT = (
    _PRELUDE
    + r"""
local store, version, log, done, feed = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
for _, check in ipairs({{store, 'hash'}, {version, 'string'}, {log, 'stream'}}) do
  local bad = wrong(check[1], check[2])
  if bad then return redis.error_reply(bad) end
end
if feed then
  local bad = wrong(feed, 'stream')
  if bad then return redis.error_reply(bad) end
end
local previous = redis.call('GET', done)
if previous then return {'ok', previous, 'reload'} end

local commit_id, known, base, scope = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local log_cap, feed_cap, list_cap = ARGV[5], ARGV[6], tonumber(ARGV[7])
local at = 8
local sets, set_fields, purged, purge_fields, checked = {}, {}, {}, {}, {}
local n = tonumber(ARGV[at]); at = at + 1
for _ = 1, n do
  local field, entry = ARGV[at], ARGV[at + 1]
  at = at + 2
  sets[field] = entry
  set_fields[#set_fields + 1] = field
  set_fields[#set_fields + 1] = entry
end
n = tonumber(ARGV[at]); at = at + 1
for _ = 1, n do
  local field = ARGV[at]
  at = at + 1
  if sets[field] == nil then purged[field] = true; purge_fields[#purge_fields + 1] = field end
end
n = tonumber(ARGV[at]); at = at + 1
for _ = 1, n do
  checked[#checked + 1] = {ARGV[at], ARGV[at + 1], ARGV[at + 2]}
  at = at + 3
end

local function current(field)
  if sets[field] ~= nil then return '=' .. sets[field] end
  if purged[field] then return '' end
  local found = redis.call('HGET', store, field)
  if found then return '=' .. found end
  return ''
end
local conflicts = {}
for _, c in ipairs(checked) do
  local actual = current(c[1])
  if actual ~= c[2] then
    conflicts[#conflicts + 1] = c[1]
    conflicts[#conflicts + 1] = actual
  end
end
if #conflicts > 0 then
  table.insert(conflicts, 1, 'conflict')
  return conflicts
end

local before, inc = version_at(version)
if inc == nil then
  local t = redis.call('TIME')
  inc = t[1] .. string.format('%06d', tonumber(t[2]))
end
local after = before + 1
local stamp = token(after, inc)
-- A log whose last id is not below the new version (the version key was reset) restarts.
local last = redis.call('XREVRANGE', log, '+', '-', 'COUNT', 1)
if #last > 0 and tonumber(string.match(last[1][1], '^(%d+)')) >= after then
  redis.call('DEL', log)
end
local others = nil
local count = known_count(known, inc)
if count ~= nil and count <= before then
  others = logged_since(log, count, before, {}, list_cap)
end

each_chunk(set_fields, 1000, function(...) redis.call('HSET', store, ...) end)
each_chunk(purge_fields, 1000, function(...) redis.call('HDEL', store, ...) end)
local touched, seen = {}, {}
local function touch(field)
  if not seen[field] then seen[field] = true; touched[#touched + 1] = field end
end
for i = 1, #set_fields, 2 do touch(set_fields[i]) end
for _, field in ipairs(purge_fields) do touch(field) end
for _, c in ipairs(checked) do
  if c[3] == '' then
    redis.call('HDEL', store, c[1])
  else
    redis.call('HSET', store, c[1], string.sub(c[3], 2))
  end
  touch(c[1])
end
redis.call('SET', version, stamp)
local listed = '*'
if #touched <= list_cap then
  listed = '[]'
  if #touched > 0 then listed = cjson.encode(touched) end
end
redis.call('XADD', log, 'MAXLEN', '~', log_cap, after .. '-0', 'keys', listed)
redis.call('SET', done, stamp, 'PX', 60000)
if feed then
  redis.call('XADD', feed, 'MAXLEN', '~', feed_cap, '*',
    'base', base, 'scope', scope, 'version', stamp, 'keys', listed)
end

if others == nil then return {'ok', stamp, 'reload'} end
if #others == 0 then return {'ok', stamp, 'same'} end
local reply = {'ok', stamp, 'keys'}
for _, field in ipairs(others) do
  local found = redis.call('HGET', store, field)
  reply[#reply + 1] = field
  reply[#reply + 1] = found or ''
end
return reply
"""
)

#: KEYS: store, version, log.  ARGV: known version ('' unknown), listed-keys cap, field*
#: Returns {version, 'reload'} or {version, 'ok', field, entry-or-'', ...} covering the
#: asked fields and every field the log names since `known`, all read at `version`.
LOAD_KEYS = (
    _PRELUDE
    + r"""
local store, version, log = KEYS[1], KEYS[2], KEYS[3]
for _, check in ipairs({{store, 'hash'}, {version, 'string'}, {log, 'stream'}}) do
  local bad = wrong(check[1], check[2])
  if bad then return redis.error_reply(bad) end
end
local now, inc = version_at(version)
local stamp = token(now, inc)
local count = known_count(ARGV[1], inc)
if count == nil or count > now then return {stamp, 'reload'} end
local fields = {}
for i = 3, #ARGV do
  if not fields[ARGV[i]] then fields[ARGV[i]] = true; fields[#fields + 1] = ARGV[i] end
end
fields = logged_since(log, count, now, fields, tonumber(ARGV[2]))
if fields == nil then return {stamp, 'reload'} end
local reply = {stamp, 'ok'}
for _, field in ipairs(fields) do
  local found = redis.call('HGET', store, field)
  reply[#reply + 1] = field
  reply[#reply + 1] = found or ''
end
return reply
"""
)

_CLOCK = r"""
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local function check_memory_keys(publishers, mversion)
  return wrong(publishers, 'zset') or wrong(mversion, 'string')
end
local function keep_set_alive(publishers)
  local top = redis.call('ZRANGE', publishers, -1, -1, 'WITHSCORES')
  if top[2] then redis.call('PEXPIREAT', publishers, math.floor(tonumber(top[2])) + 1000) end
end
"""

#: KEYS: publishers, memory(id), memory-version, [feed]
#: ARGV: publisher id, ttl ms, payload ('' withdraws), base, scope, feed cap
#: Returns the new memory version.
PUBLISH = (
    _PRELUDE
    + _CLOCK
    + r"""
local publishers, memory, mversion, feed = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local bad = check_memory_keys(publishers, mversion) or wrong(memory, 'string')
if not bad and feed then bad = wrong(feed, 'stream') end
if bad then return redis.error_reply(bad) end
local id, ttl, payload = ARGV[1], tonumber(ARGV[2]), ARGV[3]
redis.call('ZREMRANGEBYSCORE', publishers, '-inf', now)
if payload == '' then
  redis.call('DEL', memory)
  redis.call('ZREM', publishers, id)
else
  redis.call('SET', memory, now .. '\n' .. payload, 'PX', ttl)
  redis.call('ZADD', publishers, now + ttl, id)
  keep_set_alive(publishers)
end
local v = redis.call('INCR', mversion)
if feed then
  redis.call('XADD', feed, 'MAXLEN', '~', ARGV[6], '*',
    'base', ARGV[4], 'scope', ARGV[5], 'memory', v)
end
return v
"""
)

#: KEYS: publishers, memory(id).  ARGV: publisher id, ttl ms.
#: Returns 1, or 0 when the publication expired (the caller publishes again).
KEEP_ALIVE = (
    _PRELUDE
    + _CLOCK
    + r"""
local publishers, memory = KEYS[1], KEYS[2]
if wrong(publishers, 'zset') or redis.call('EXISTS', memory) == 0 then return 0 end
redis.call('PEXPIRE', memory, ARGV[2])
redis.call('ZADD', publishers, now + tonumber(ARGV[2]), ARGV[1])
keep_set_alive(publishers)
return 1
"""
)

#: KEYS: publishers, memory-version.  Returns {memory version, live publisher id...}.
MEMORY_STATE = (
    _PRELUDE
    + _CLOCK
    + r"""
local publishers, mversion = KEYS[1], KEYS[2]
local bad = check_memory_keys(publishers, mversion)
if bad then return redis.error_reply(bad) end
local reply = {number_at(mversion)}
for _, id in ipairs(redis.call('ZRANGEBYSCORE', publishers, '(' .. now, '+inf')) do
  reply[#reply + 1] = id
end
return reply
"""
)
