/**
 * A reader of a gateway's `/events` stream (server-sent events) for `portico events` and
 * `portico apps --watch`: the wire format parsed as the WHATWG EventSource rules say, and a
 * follower that reopens a dropped stream from the last revision it saw, with backoff.
 */
import { sleep } from "../net/timers.js";
import { Client } from "undici";
import {
  ResponseInvalidError,
  ServiceUnavailableError,
  SseParser,
  errorFromWire,
} from "../index.js";

/** One server-sent event: its type (`message` when unnamed), last event id and data. */
export interface StreamMessage {
  event: string;
  id: string;
  data: string;
}

/**
 * What a follower reports: a change (`app_registered`, ...), `resync` (reload the apps), or
 * `ready` (the replay is over; `revision` is the gateway's). The data as the gateway sent it.
 */
export interface GatewayEvent {
  type: string;
  revision?: number;
  name?: string;
  [field: string]: unknown;
}

/** Splits an event-stream body into events (the gateway client's parser). */
export async function* parseEventStream(
  chunks: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<StreamMessage> {
  const parser = new SseParser();
  const encoder = new TextEncoder();
  for await (const chunk of chunks) {
    const bytes = typeof chunk === "string" ? encoder.encode(chunk) : chunk;
    for (const event of parser.push(bytes)) yield { ...event, id: event.id ?? "" };
  }
}

/** What `followEvents` needs. */
export interface FollowOptions {
  /** The gateway's base URL. */
  gateway: string;
  token?: string | undefined;
  /** Replay the changes after this revision first (`?since=`). */
  since?: number | undefined;
  /** Milliseconds to wait for the stream's headers. */
  timeout: number;
  /** Stops following: `followEvents` then resolves. */
  signal: AbortSignal;
  onEvent(event: GatewayEvent): void;
  /** The stream dropped (the gateway restarted?): it is reopened from the last revision seen. */
  onDrop?(error: unknown): void;
}

/** Silence longer than three 15 s heartbeats means the connection is dead: reopen it. */
const IDLE_MS = 45_000;
const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5_000;

/**
 * Follows the gateway's events until `signal` aborts. The first connection must succeed (its
 * error is thrown); after that a dropped stream is reopened with backoff, from the last revision
 * seen, so nothing is missed (or the gateway answers `resync`). A refusal (401, 404) is thrown.
 */
export async function followEvents(options: FollowOptions): Promise<void> {
  let since = options.since;
  let delay = RETRY_FIRST_MS;
  let connected = false;
  while (!options.signal.aborted) {
    try {
      for await (const event of openStream({ ...options, since })) {
        if (typeof event.revision === "number") since = event.revision;
        if (event.type === "ready") {
          connected = true;
          delay = RETRY_FIRST_MS;
        }
        options.onEvent(event);
      }
      if (options.signal.aborted) return;
      options.onDrop?.(new ServiceUnavailableError("The gateway closed the event stream"));
    } catch (error) {
      if (options.signal.aborted) return;
      if (!connected || !(error instanceof ServiceUnavailableError)) throw error;
      options.onDrop?.(error);
    }
    await sleep(delay, options.signal);
    delay = Math.min(delay * 2, RETRY_MAX_MS);
  }
}

async function* openStream(options: FollowOptions): AsyncGenerator<GatewayEvent> {
  const base = new URL(options.gateway);
  const query = options.since === undefined ? "" : `?since=${options.since}`;
  const path = `${base.pathname.replace(/\/+$/, "")}/events${query}`;
  const headers: Record<string, string> = { accept: "text/event-stream" };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  const client = new Client(base.origin, { headersTimeout: options.timeout, bodyTimeout: IDLE_MS });
  try {
    let response;
    try {
      response = await client.request({ method: "GET", path, headers, signal: options.signal });
    } catch (error) {
      throw unavailable(error, `${base.origin}${path}`);
    }
    const what = `GET ${base.origin}${path}`;
    if (response.statusCode !== 200) {
      const text = await response.body.text().catch(() => "");
      throw errorFromWire(response.statusCode, parseBody(text), what);
    }
    const type = String(response.headers["content-type"] ?? "");
    if (!type.startsWith("text/event-stream")) {
      await response.body.dump().catch(() => undefined);
      throw new ResponseInvalidError(
        `${what} answered ${type || "no content type"}, not an event stream`,
      );
    }
    try {
      for await (const message of parseEventStream(response.body)) {
        yield { ...parseJson(message.data), type: message.event };
      }
    } catch (error) {
      throw unavailable(error, what);
    }
  } finally {
    await client.destroy();
  }
}

function unavailable(error: unknown, where: string): ServiceUnavailableError {
  const code = (error as { code?: unknown } | undefined)?.code;
  const reason = typeof code === "string" ? code : (error as Error)?.message;
  return new ServiceUnavailableError(`The event stream ${where} failed (${reason})`, {
    cause: error,
  });
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** The object a data line holds, or `{}` (an event with unexpected data still counts). */
function parseJson(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}
