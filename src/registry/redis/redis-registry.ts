/**
 * `redis://host:port/db`: the change feed in Redis (ioredis), shared by every gateway replica and
 * worker that uses the same server and prefix. Apps, registration order, tickets, leases and the
 * revision live in Redis; the history is a Stream whose entry ids are the revisions, so a watcher replays
 * with XREAD from `<revision>-0` and then blocks on the same command for live changes.
 */
import { randomUUID } from "node:crypto";
import type * as IORedis from "ioredis";
import { InvalidOptionsError } from "../../errors.js";
import type {
  AppRecord,
  Change,
  ChangeFeedRegistry,
  ChangeRequest,
  ExpiredLease,
  FeedEvent,
  Snapshot,
  StoredApp,
  Ticket,
} from "../change-feed.js";
import { historySize } from "../feed-gap.js";
import { loadOptional } from "../load-optional.js";
import { FEED_SCRIPTS, feedKeys } from "./redis-scripts.js";
import type { FeedCommands, FeedKeys } from "./redis-scripts.js";
import { unavailable } from "./redis-errors.js";
import { LEASE_SCRIPTS, RedisLeases } from "./redis-leases.js";
import type { LeaseCommands } from "./redis-leases.js";
import { watchStream } from "./redis-watch.js";

/** Options of a Redis registry. */
export interface RedisFeedOptions {
  /** Prefix of every key (default `portico:`): registries with different prefixes do not meet. */
  prefix?: string;
  /** Changes kept in the Stream for replay (default 10,000); a watcher further behind resyncs. */
  history?: number;
  /** How long a command may take before it fails with REGISTRY_UNAVAILABLE, in ms (default 1,000). */
  commandTimeout?: number;
  /** How long a watcher's XREAD blocks before it checks the connection and the data, in ms (default 2,000). */
  blockTimeout?: number;
}

/** A client with the feed's scripts defined. */
export type FeedClient = IORedis.Redis & FeedCommands & LeaseCommands;

/**
 * A change feed in Redis. While Redis is unreachable, writes fail at once with
 * REGISTRY_UNAVAILABLE (no offline queue: a registration is never parked, then applied late),
 * ioredis reconnects with backoff, and watchers resume, with `resync` if the data was lost.
 *
 * @example
 * const registry = await RedisFeedRegistry.open("redis://127.0.0.1:6379/0");
 * for await (const event of registry.watch(0, signal)) console.log(event);
 */
export class RedisFeedRegistry implements ChangeFeedRegistry {
  private readonly keys: FeedKeys;
  private readonly history: number;
  private readonly leases: RedisLeases;
  private readonly watchers = new Set<IORedis.Redis>();
  private closed = false;

  private constructor(
    readonly url: string,
    private readonly client: FeedClient,
    private readonly options: RedisFeedOptions,
  ) {
    this.keys = feedKeys(options.prefix ?? "portico:");
    this.history = historySize(options.history);
    this.leases = new RedisLeases(client, this.keys, (command) => this.run(command));
  }

  /** Connects to the server a `redis://` URL names; loads ioredis on first use. */
  static async open(url: string, options: RedisFeedOptions = {}): Promise<RedisFeedRegistry> {
    historySize(options.history);
    const { Redis } = await loadOptional<typeof IORedis>("ioredis", "ioredis@5");
    const client = new Redis(checkedUrl(url), {
      lazyConnect: true,
      enableOfflineQueue: false,
      // A write cut off mid-flight is reported, never sent again behind the caller's back.
      autoResendUnfulfilledCommands: false,
      commandTimeout: options.commandTimeout ?? 1_000,
      connectTimeout: 2_000,
      retryStrategy: reconnectDelay,
      scripts: { ...FEED_SCRIPTS, ...LEASE_SCRIPTS },
    }) as FeedClient;
    client.on("error", () => {}); // Reported through the commands that fail; ioredis reconnects.
    try {
      await client.connect();
      // Data written before apps had revisions gets them, once: `get` and `expect` need them.
      const k = feedKeys(options.prefix ?? "portico:");
      await client.porticoMigrate(k.apps, k.appRevisions, k.revision);
    } catch (error) {
      client.disconnect();
      throw unavailable(error, redactedUrl(url));
    }
    return new RedisFeedRegistry(redactedUrl(url), client, options);
  }

  async begin(name: string): Promise<Ticket> {
    const k = this.keys;
    const [ticket, superseded] = await this.run(() =>
      this.client.porticoBegin(k.ticket, k.ticketsLast, k.ticketsCommitted, name),
    );
    return { ticket, superseded: superseded === 1 };
  }

  async apply(request: ChangeRequest): Promise<Change | undefined> {
    const k = this.keys;
    const name = request.op === "put" ? request.app.name : request.name;
    const json = request.op === "put" ? JSON.stringify(request.app) : "";
    const result = await this.run(() =>
      this.client.porticoApply(
        ...[k.apps, k.order, k.revision, k.ticketsLast, k.ticketsCommitted, k.changes, k.epoch],
        k.appRevisions,
        // A fresh id each time: it becomes the data's epoch if this write is the first one.
        ...[request.op, name, json, request.ticket ?? "", this.history, randomUUID()],
        request.expect ?? "",
      ),
    );
    if (!result) return undefined;
    const [revision, type] = result;
    if (request.op === "delete") return { type: "app_unregistered", revision, name };
    return { type: type as "app_registered" | "app_updated", revision, name, app: request.app };
  }

  async get(name: string): Promise<StoredApp | undefined> {
    const k = this.keys;
    const found = await this.run(() =>
      this.client.porticoGet(k.apps, k.appRevisions, k.revision, name),
    );
    return found ? { app: JSON.parse(found[0]) as AppRecord, revision: found[1] } : undefined;
  }

  lease(name: string, url: string, ttlMs: number): Promise<void> {
    return this.leases.lease(name, url, ttlMs);
  }

  renewLease(name: string, url: string, ttlMs: number): Promise<boolean> {
    return this.leases.renew(name, url, ttlMs);
  }

  dropLease(name: string, url: string): Promise<void> {
    return this.leases.drop(name, url);
  }

  claimExpiredLease(name: string, url: string): Promise<boolean> {
    return this.leases.claimExpired(name, url);
  }

  expiredLeases(limit?: number): Promise<ExpiredLease[]> {
    return this.leases.expired(limit);
  }

  async snapshot(): Promise<Snapshot> {
    const k = this.keys;
    const [revision, ...apps] = await this.run(() =>
      this.client.porticoSnapshot(k.apps, k.order, k.revision),
    );
    return {
      revision: Number(revision),
      apps: apps.map((json) => JSON.parse(json) as AppRecord),
    };
  }

  async revision(): Promise<number> {
    return Number((await this.run(() => this.client.get(this.keys.revision))) ?? 0);
  }

  async *watch(fromRevision: number, signal: AbortSignal): AsyncIterable<FeedEvent> {
    if (this.closed || signal.aborted) return;
    // Blocking reads need a connection of their own; the watch waits for it to be ready.
    const connection = this.client.duplicate({
      lazyConnect: false,
      commandTimeout: (this.options.blockTimeout ?? 2_000) + 3_000,
    }) as FeedClient;
    connection.on("error", () => {});
    this.watchers.add(connection);
    try {
      yield* watchStream({
        connection,
        keys: this.keys,
        from: fromRevision,
        signal,
        blockTimeout: this.options.blockTimeout ?? 2_000,
      });
    } finally {
      this.watchers.delete(connection);
      connection.disconnect();
    }
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    for (const connection of this.watchers) connection.disconnect();
    this.client.disconnect();
    return Promise.resolve();
  }

  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw unavailable(error, this.url);
    }
  }
}

/** Longest wait between two reconnection attempts, in ms. */
const RECONNECT_MAX_MS = 100;

/**
 * Backoff between reconnection attempts (ioredis's default grows to 2 s). Once Redis is back, a
 * replica whose next attempt is still far off could not see an app that another replica has
 * just registered: a call naming it waits only 250 ms for this replica's feed before answering
 * 404. Capped at 100 ms, every replica is back within that window; an attempt on a server that
 * is down is one refused connection, cheap at ten a second.
 */
function reconnectDelay(attempt: number): number {
  return Math.min(attempt * 20, RECONNECT_MAX_MS);
}

function checkedUrl(url: string): string {
  if (!/^rediss?:\/\//.test(url)) {
    throw new InvalidOptionsError(
      `Invalid Redis registry URL ${redactedUrl(url)}: use redis://host:port/db`,
      {
        data: { url: redactedUrl(url) },
      },
    );
  }
  return url;
}

/** The URL without its password, for reports and errors. */
function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//***@");
  }
}
