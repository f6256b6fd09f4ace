/**
 * The writes, as Lua scripts. Redis runs a script atomically, like MULTI/EXEC,
 * but a script can also re-check the facts the plan relied on (still pending,
 * still owned by that consumer, still idle, consumer still without pending)
 * and write only if they hold: nothing can slip in between check and write.
 * Each script touches only its stream (and the dead-letter stream), given as KEYS.
 */

/** Lua: {field = value} of a flat RESP array. */
const FIELDS = `local function fields(a) local f = {} for i = 1, #a, 2 do f[a[i]] = a[i + 1] end return f end`;

/**
 * Sorts ARGV ids (from index `first`) into: ok (still pending on the planned
 * consumer, or on any consumer when ARGV[2] is empty, and idle enough / delivered
 * often enough), gone (no longer pending: acked meanwhile), moved (another owner
 * now), fresh (idle or delivery count below the threshold now).
 */
const CHECK = `
local function check(first, from, minIdle, minDeliveries)
  local ok, gone, moved, fresh, owner, count = {}, {}, {}, {}, {}, {}
  for i = first, #ARGV do
    local id = ARGV[i]
    local p = redis.call('XPENDING', KEYS[1], ARGV[1], id, id, 1)[1]
    if not p then table.insert(gone, id)
    elseif from ~= '' and p[2] ~= from then table.insert(moved, id)
    elseif tonumber(p[3]) < minIdle or tonumber(p[4]) < minDeliveries then table.insert(fresh, id)
    else table.insert(ok, id); owner[id] = p[2]; count[id] = p[4] end
  end
  return ok, gone, moved, fresh, owner, count
end`;

/** KEYS: stream. ARGV: group, consumer, min idle ms. Deletes the consumer only if it holds nothing and is still idle. */
export const DELETE_CONSUMER = `${FIELDS}
for _, c in ipairs(redis.call('XINFO', 'CONSUMERS', KEYS[1], ARGV[1])) do
  local f = fields(c)
  if f['name'] == ARGV[2] then
    if tonumber(f['pending']) > 0 then return {'skip', 'the consumer holds ' .. f['pending'] .. ' pending entries now'} end
    if tonumber(f['idle']) < tonumber(ARGV[3]) then return {'skip', 'the consumer tried to read ' .. math.floor(f['idle'] / 1000) .. 's ago'} end
    redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
    return {'ok'}
  end
end
return {'skip', 'the consumer is already gone'}`;

/**
 * KEYS: stream. ARGV: group, from consumer, target consumer ('' = re-add), min idle ms, ids….
 * With a target: XCLAIM … JUSTID (the delivery count stays: the target's read counts).
 * Without: each entry is added again at the end of the stream (same fields, new id) and acked.
 */
export const REQUEUE = `${CHECK}
local ok, gone, moved, fresh = check(5, ARGV[2], tonumber(ARGV[4]), 0)
local missing = {}
if #ok > 0 then
  if ARGV[3] ~= '' then
    local args = {'XCLAIM', KEYS[1], ARGV[1], ARGV[3], ARGV[4]}
    for _, id in ipairs(ok) do table.insert(args, id) end
    table.insert(args, 'JUSTID')
    redis.call(unpack(args))
  else
    local done = {}
    for _, id in ipairs(ok) do
      local e = redis.call('XRANGE', KEYS[1], id, id)[1]
      -- An entry deleted from the stream (XDEL) has no payload to re-add: it stays pending.
      if e then
        redis.call('XADD', KEYS[1], '*', unpack(e[2]))
        redis.call('XACK', KEYS[1], ARGV[1], id)
        table.insert(done, id)
      else table.insert(missing, id) end
    end
    ok = done
  end
end
return {ok, gone, moved, fresh, missing}`;

/**
 * KEYS: stream, dead-letter stream. ARGV: group, min deliveries, ids….
 * Copies each entry with dead.id / dead.stream / dead.group / dead.consumer /
 * dead.deliveries before its own fields, then acks it.
 */
export const DEAD_LETTER = `${CHECK}
local ok, gone, moved, fresh, owner, count = check(3, '', 0, tonumber(ARGV[2]))
for _, id in ipairs(ok) do
  local args = {'XADD', KEYS[2], '*', 'dead.id', id, 'dead.stream', KEYS[1], 'dead.group', ARGV[1], 'dead.consumer', owner[id], 'dead.deliveries', count[id]}
  local e = redis.call('XRANGE', KEYS[1], id, id)[1]
  if e then for _, v in ipairs(e[2]) do table.insert(args, v) end end
  redis.call(unpack(args))
  redis.call('XACK', KEYS[1], ARGV[1], id)
end
return {ok, gone, moved, fresh, {}}`;

/**
 * KEYS: stream. ARGV: planned MINID. Recomputes the floor every group still
 * needs now and trims to the lower of the two: never past what the plan showed,
 * never past what a group needs.
 */
export const TRIM = `${FIELDS}
local function parse(id) local ms, seq = string.match(id, '^(%d+)-(%d+)$') return tonumber(ms), tonumber(seq) end
local function less(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  if am ~= bm then return am < bm end
  return as < bs
end
local groups = redis.call('XINFO', 'GROUPS', KEYS[1])
if #groups == 0 then return {'skip', 'the stream has no consumer group now'} end
local floor = ARGV[1]
for _, g in ipairs(groups) do
  local f = fields(g)
  local need
  if tonumber(f['pending']) > 0 then
    need = redis.call('XPENDING', KEYS[1], f['name'], '-', '+', 1)[1][1]
  else
    local ms, seq = parse(f['last-delivered-id'])
    need = string.format('%d-%d', ms, seq + 1)
  end
  if less(need, floor) then floor = need end
end
return {'ok', floor, redis.call('XTRIM', KEYS[1], 'MINID', floor)}`;
