/**
 * One watcher of the Redis feed: XREAD from `<revision>-0` replays what the Stream keeps, then
 * blocks for live changes. Before the first read, after every reconnect and after every idle
 * block, it reads where the feed stands (the data's epoch, the revision, the oldest entry): a
 * pruned history, a store behind the watcher or a new epoch (Redis restarted without its data)
 * yields `resync`.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { Change, FeedEvent } from "../change-feed.js";
import { mustResync } from "../feed-gap.js";
import type { FeedPosition } from "../feed-gap.js";
import type { FeedClient } from "./redis-registry.js";
import type { FeedKeys } from "./redis-scripts.js";

/** What `watchStream` needs. */
export interface StreamWatch {
  /** A connection of this watcher's own (XREAD BLOCK holds it). */
  connection: FeedClient;
  keys: FeedKeys;
  from: number;
  signal: AbortSignal;
  /** Longest XREAD block, in ms. */
  blockTimeout: number;
}

/** Entries read per XREAD. */
const BATCH = 256;

type StreamReply = [key: string, entries: [id: string, fields: string[]][]][] | null;

/** Yields the feed's events after `from` until `signal` aborts or the connection is closed. */
export async function* watchStream(watch: StreamWatch): AsyncGenerator<FeedEvent> {
  const { connection, keys, signal } = watch;
  let at = watch.from;
  let epoch: string | undefined;
  let check = true;
  const recheck = (): void => void (check = true);
  const stop = (): void => connection.disconnect();
  const ended = (): boolean => signal.aborted || connection.status === "end";
  connection.on("close", recheck);
  signal.addEventListener("abort", stop, { once: true });
  try {
    while (!ended()) {
      try {
        if (connection.status !== "ready") {
          check = true;
          await untilReady(connection, signal);
          continue;
        }
        if (check) {
          check = false;
          const position = await readPosition(connection, keys);
          // No epoch at the last look means no data then, so nothing read yet: adopt the new one.
          const lost = epoch !== undefined && epoch !== "" && position.epoch !== epoch;
          epoch = position.epoch;
          if (lost || mustResync(at, position)) {
            at = position.revision;
            yield { type: "resync", revision: at };
            continue;
          }
        }
        const args = [
          "COUNT",
          BATCH,
          "BLOCK",
          watch.blockTimeout,
          "STREAMS",
          keys.changes,
          `${at}-0`,
        ];
        const reply = (await untilClosed(
          connection,
          connection.call("XREAD", ...args),
        )) as StreamReply;
        const changes = reply?.[0]?.[1].map(toChange) ?? [];
        // Nothing for a whole block, or a gap (pruned under us): look at the feed before going on.
        if (changes[0]?.revision !== at + 1) {
          check = true;
          continue;
        }
        for (const change of changes) {
          at = change.revision;
          yield change;
          if (signal.aborted) return;
        }
      } catch {
        if (ended()) return;
        check = true;
        await sleep(100, undefined, { signal }).catch(() => {});
      }
    }
  } finally {
    connection.off("close", recheck);
    signal.removeEventListener("abort", stop);
  }
}

async function readPosition(
  connection: FeedClient,
  keys: FeedKeys,
): Promise<FeedPosition & { epoch: string }> {
  const [epoch, revision, oldest] = await untilClosed(
    connection,
    connection.porticoPosition(keys.epoch, keys.revision, keys.changes),
  );
  return {
    epoch,
    revision: Number(revision),
    oldest: oldest === "" ? undefined : Number(oldest.split("-")[0]),
  };
}

/**
 * The reply of `command`, or a rejection as soon as the connection drops: ioredis does not settle
 * a command cut off by a disconnect (with autoResendUnfulfilledCommands off) until it times out.
 */
function untilClosed<T>(connection: FeedClient, command: Promise<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    const closed = (): void => reject(new Error("Redis connection closed"));
    connection.once("close", closed);
    command.then(resolve, reject).finally(() => connection.off("close", closed));
  });
}

/** Resolves when the connection is ready again, has ended, or `signal` aborts. */
function untilReady(connection: FeedClient, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      connection.off("ready", done).off("end", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    connection.once("ready", done).once("end", done);
    signal.addEventListener("abort", done, { once: true });
  });
}

function toChange([id, fields]: [string, string[]]): Change {
  const values = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) values.set(fields[i]!, fields[i + 1]!);
  const field = (name: string): string => values.get(name) ?? "";
  const revision = Number(id.split("-")[0]);
  const type = field("type") as Change["type"];
  const name = field("name");
  if (type === "app_unregistered") return { type, revision, name };
  return { type, revision, name, app: JSON.parse(field("app")) };
}
