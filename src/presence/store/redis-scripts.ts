/**
 * Lua scripts of the Redis presence store. Each runs atomically, so two nodes
 * joining (or leaving) the same user at the same moment cannot both miss the
 * cluster-wide transition. Keys of other nodes are derived from ARGV[1] (the
 * key prefix); KEYS[1] is the set of nodes, which routes the script. Every key
 * carries the hash tag `{presence}`, so on a Redis Cluster they all live in
 * one slot and a script never touches another server's keys (decision 0013).
 *
 * Layout under `<prefix>{presence}:`
 *   nodes          set of node ids that may hold entries
 *   alive:<node>   string with a TTL, refreshed by the node's keep-alive
 *   node:<node>    hash user id → JSON {t: user type, n: username, s: since};
 *                  its TTL is 4× the alive key's, so after a crash the hash
 *                  is still there for a live node to reap and announce offline
 */

/** true when user ARGV[3] is held by a live node other than ARGV[2]. */
const HELD_ELSEWHERE = `
local function heldElsewhere(prefix, self, user)
  for _, n in ipairs(redis.call('SMEMBERS', prefix .. 'nodes')) do
    if n ~= self and redis.call('EXISTS', prefix .. 'alive:' .. n) == 1
      and redis.call('HEXISTS', prefix .. 'node:' .. n, user) == 1 then
      return true
    end
  end
  return false
end
`;

/** ARGV: prefix, node, user, value, ttlMs → 1 if the user is newly online cluster-wide. */
export const JOIN = `${HELD_ELSEWHERE}
local prefix, self = ARGV[1], ARGV[2]
redis.call('HSET', prefix .. 'node:' .. self, ARGV[3], ARGV[4])
redis.call('PEXPIRE', prefix .. 'node:' .. self, 4 * tonumber(ARGV[5]))
redis.call('SET', prefix .. 'alive:' .. self, '1', 'PX', ARGV[5])
redis.call('SADD', prefix .. 'nodes', self)
if heldElsewhere(prefix, self, ARGV[3]) then return 0 end
return 1
`;

/** ARGV: prefix, node, user → 1 if the user is now offline cluster-wide. */
export const LEAVE = `${HELD_ELSEWHERE}
local prefix, self = ARGV[1], ARGV[2]
redis.call('HDEL', prefix .. 'node:' .. self, ARGV[3])
if heldElsewhere(prefix, self, ARGV[3]) then return 0 end
return 1
`;

/** ARGV: prefix → flat [user, value, user, value, ...] over live nodes. */
export const LIST = `
local prefix = ARGV[1]
local out = {}
for _, n in ipairs(redis.call('SMEMBERS', prefix .. 'nodes')) do
  if redis.call('EXISTS', prefix .. 'alive:' .. n) == 1 then
    local h = redis.call('HGETALL', prefix .. 'node:' .. n)
    for i = 1, #h do out[#out + 1] = h[i] end
  end
end
return out
`;

/**
 * ARGV: prefix, node, ttlMs → { HLEN of this node's hash, flat [user, value, ...]
 * of users that were only on reaped (dead) nodes }.
 */
export const KEEP_ALIVE = `${HELD_ELSEWHERE}
local prefix, self, ttl = ARGV[1], ARGV[2], ARGV[3]
redis.call('SET', prefix .. 'alive:' .. self, '1', 'PX', ttl)
redis.call('SADD', prefix .. 'nodes', self)
redis.call('PEXPIRE', prefix .. 'node:' .. self, 4 * tonumber(ttl))
local gone = {}
for _, n in ipairs(redis.call('SMEMBERS', prefix .. 'nodes')) do
  if n ~= self and redis.call('EXISTS', prefix .. 'alive:' .. n) == 0 then
    local h = redis.call('HGETALL', prefix .. 'node:' .. n)
    redis.call('DEL', prefix .. 'node:' .. n)
    redis.call('SREM', prefix .. 'nodes', n)
    for i = 1, #h, 2 do
      if not heldElsewhere(prefix, n, h[i]) then
        gone[#gone + 1] = h[i]
        gone[#gone + 1] = h[i + 1]
      end
    end
  end
end
return { redis.call('HLEN', prefix .. 'node:' .. self), gone }
`;

/** ARGV: prefix, node → flat [user, value, ...] of users now offline cluster-wide. */
export const CLOSE = `${HELD_ELSEWHERE}
local prefix, self = ARGV[1], ARGV[2]
local h = redis.call('HGETALL', prefix .. 'node:' .. self)
redis.call('DEL', prefix .. 'node:' .. self, prefix .. 'alive:' .. self)
redis.call('SREM', prefix .. 'nodes', self)
local gone = {}
for i = 1, #h, 2 do
  if not heldElsewhere(prefix, self, h[i]) then
    gone[#gone + 1] = h[i]
    gone[#gone + 1] = h[i + 1]
  end
end
return gone
`;
