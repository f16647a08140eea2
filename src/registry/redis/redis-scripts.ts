/**
 * The Redis feed's keys and its Lua scripts. Each write is one script: Redis runs a script
 * atomically, and unlike MULTI a script can branch on what it reads (the ticket and `expect`
 * checks, whether the app exists), so a change is all of app hash + order + app revision +
 * revision + stream entry, or nothing. The lease scripts are in redis-leases.ts.
 */

/** The keys of one feed, all under one prefix. */
export interface FeedKeys {
  /** Hash: app name -> app JSON. */
  apps: string;
  /**
   * Hash: app name -> revision of the change that last wrote it (`expect` compares with it). An
   * app missing here (written by a version before it) counts as the newest revision of all.
   */
  appRevisions: string;
  /** Sorted set: app name scored by the revision that registered it (registration order). */
  order: string;
  /** Counter: the newest revision. */
  revision: string;
  /** Counter: the newest ticket. */
  ticket: string;
  /** Hash: app name -> its newest ticket. */
  ticketsLast: string;
  /** Hash: app name -> its newest committed ticket. */
  ticketsCommitted: string;
  /** Stream of changes, entry id `<revision>-0`, fields type, name, app (JSON or ""). */
  changes: string;
  /** A random id set when the data is created: another value means the data was lost and rebuilt. */
  epoch: string;
  /**
   * Sorted set: lease member (the JSON array `[name, url]`) scored by its deadline, in ms of
   * Redis's clock (TIME). Expired members stay until dropped.
   */
  leases: string;
  /**
   * Prefix of one string key per lease, `<leasePrefix><member>`, set with PX ttl: it expires on
   * its own, and renewing is allowed only while it exists.
   */
  leasePrefix: string;
}

/** The keys under `prefix` (e.g. `portico:`). */
export function feedKeys(prefix: string): FeedKeys {
  const key = (name: string): string => `${prefix}${name}`;
  return {
    apps: key("apps"),
    appRevisions: key("app-revisions"),
    order: key("order"),
    revision: key("revision"),
    ticket: key("ticket"),
    ticketsLast: key("tickets:last"),
    ticketsCommitted: key("tickets:committed"),
    changes: key("changes"),
    epoch: key("epoch"),
    leases: key("leases"),
    leasePrefix: key("lease:"),
  };
}

/**
 * KEYS: ticket, ticketsLast, ticketsCommitted. ARGV: name. Returns {ticket, superseded 0/1}.
 * A new counter starts at the server's clock in microseconds: after Redis comes back without its
 * data, no new ticket can equal one handed out before (an operation begun then must stay stale).
 */
const BEGIN = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  local now = redis.call('TIME')
  redis.call('SET', KEYS[1], now[1] .. string.format('%06d', now[2]))
end
local ticket = redis.call('INCR', KEYS[1])
local last = tonumber(redis.call('HGET', KEYS[2], ARGV[1]) or '0')
local committed = tonumber(redis.call('HGET', KEYS[3], ARGV[1]) or '0')
redis.call('HSET', KEYS[2], ARGV[1], ticket)
if last > committed then return {ticket, 1} end
return {ticket, 0}
`;

/** Lua: the revision `expect` compares with for app ARGV[1] (KEYS: apps, appRevisions, revision). */
const APP_REVISION = `
local function app_revision(apps, revisions, revision, name)
  if redis.call('HEXISTS', apps, name) == 0 then return 0 end
  return tonumber(redis.call('HGET', revisions, name) or redis.call('GET', revision) or '0')
end
`;

/**
 * KEYS: apps, order, revision, ticketsLast, ticketsCommitted, changes, epoch, appRevisions.
 * ARGV: op (put|delete), name, app JSON (or ""), ticket (or ""), history size, epoch candidate,
 * expect (or ""). Returns {revision, type}, or nil when the ticket is stale, `expect` differs
 * (then nothing is written, the ticket included) or the delete finds no app.
 */
const APPLY = `${APP_REVISION}
local name, json, ticket, expect = ARGV[2], ARGV[3], ARGV[4], ARGV[7]
if ticket ~= '' and redis.call('HGET', KEYS[4], name) ~= ticket then return false end
if expect ~= '' and app_revision(KEYS[1], KEYS[8], KEYS[3], name) ~= tonumber(expect) then
  return false
end
local exists = redis.call('HEXISTS', KEYS[1], name) == 1
local kind
if ARGV[1] == 'put' then
  if exists then kind = 'app_updated' else kind = 'app_registered' end
elseif exists then
  kind = 'app_unregistered'
else
  if ticket ~= '' then redis.call('HSET', KEYS[5], name, ticket) end
  return false
end
local revision = tonumber(redis.call('GET', KEYS[3]) or '0') + 1
-- The first write: Redis does not roll a script back, so whatever can fail (an id, memory) fails here.
redis.call('XADD', KEYS[6], 'MAXLEN', ARGV[5], revision .. '-0', 'type', kind, 'name', name, 'app', json)
redis.call('SET', KEYS[3], revision)
redis.call('SET', KEYS[7], ARGV[6], 'NX')
if ticket ~= '' then redis.call('HSET', KEYS[5], name, ticket) end
if kind == 'app_unregistered' then
  redis.call('HDEL', KEYS[1], name)
  redis.call('HDEL', KEYS[8], name)
  redis.call('ZREM', KEYS[2], name)
else
  redis.call('HSET', KEYS[1], name, json)
  redis.call('HSET', KEYS[8], name, revision)
  if kind == 'app_registered' then redis.call('ZADD', KEYS[2], revision, name) end
end
return {revision, kind}
`;

/** KEYS: apps, order, revision. Returns {revision, json...} in registration order. */
const SNAPSHOT = `
local out = {redis.call('GET', KEYS[3]) or '0'}
for _, name in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  out[#out + 1] = redis.call('HGET', KEYS[1], name)
end
return out
`;

/** KEYS: apps, appRevisions, revision. ARGV: name. Returns {json, revision}, or nil. */
const GET = `${APP_REVISION}
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return false end
return {json, app_revision(KEYS[1], KEYS[2], KEYS[3], ARGV[1])}
`;

/**
 * KEYS: apps, appRevisions, revision. Run on open: gives the apps written by a version before
 * appRevisions the newest revision of all, so that `expect` on them stays stable (any later
 * write of an app gets a higher one). Returns how many it filled in.
 */
const MIGRATE = `
local filled, revision = 0, redis.call('GET', KEYS[3]) or '0'
for _, name in ipairs(redis.call('HKEYS', KEYS[1])) do
  filled = filled + redis.call('HSETNX', KEYS[2], name, revision)
end
return filled
`;

/** KEYS: epoch, revision, changes. Returns {epoch or "", revision, oldest entry id or ""}. */
const POSITION = `
local first = redis.call('XRANGE', KEYS[3], '-', '+', 'COUNT', 1)
local oldest = ''
if #first > 0 then oldest = first[1][1] end
return {redis.call('GET', KEYS[1]) or '', redis.call('GET', KEYS[2]) or '0', oldest}
`;

/** The scripts, as ioredis's `scripts` option defines them (EVALSHA, falling back to EVAL). */
export const FEED_SCRIPTS = {
  porticoBegin: { lua: BEGIN, numberOfKeys: 3 },
  porticoApply: { lua: APPLY, numberOfKeys: 8 },
  porticoGet: { lua: GET, numberOfKeys: 3 },
  porticoMigrate: { lua: MIGRATE, numberOfKeys: 3 },
  porticoSnapshot: { lua: SNAPSHOT, numberOfKeys: 3 },
  porticoPosition: { lua: POSITION, numberOfKeys: 3 },
};

type Arg = string | number;

/** The commands the scripts add to a client. */
export interface FeedCommands {
  porticoBegin(...args: Arg[]): Promise<[number, number]>;
  porticoApply(...args: Arg[]): Promise<[number, string] | null>;
  porticoGet(...args: Arg[]): Promise<[string, number] | null>;
  porticoMigrate(...args: Arg[]): Promise<number>;
  porticoSnapshot(...args: Arg[]): Promise<string[]>;
  porticoPosition(...args: Arg[]): Promise<[string, string, string]>;
}
