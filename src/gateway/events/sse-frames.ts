/**
 * The `/events` wire format: server-sent events, one frame per feed event. A change's `data` is
 * the Change itself as one line of JSON (`{"type","revision","name","app"?}`, `app` the full
 * AppInfo with its endpoints): JSON escapes line breaks, so it never splits into two fields.
 */
import type { FeedEvent } from "../../registry/registry.js";
import type { InstanceInfo } from "../tasks.js";

/** Response headers of a stream: no caching, and no buffering by proxies such as nginx. */
export const STREAM_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
  // A stream ends only when the gateway closes or drops it: its connection is never reused,
  // so it goes with the stream rather than linger as an idle keep-alive socket.
  connection: "close",
} as const;

/** First frame: how long an EventSource waits before it reconnects. */
export const RETRY_FRAME = "retry: 1000\n\n";

/** A comment that keeps idle connections (and the proxies on their way) open. */
export const PING_FRAME = Buffer.from(": ping\n\n");

/** `app_registered`, `app_updated`, `app_unregistered` or `resync`, with its revision as id. */
export function eventFrame(event: FeedEvent): string {
  return `event: ${event.type}\nid: ${event.revision}\ndata: ${JSON.stringify(event)}\n\n`;
}

/** The client must reload the snapshot (`list_apps_with_schemas`), then go on from `revision`. */
export function resyncFrame(revision: number): string {
  return eventFrame({ type: "resync", revision });
}

/**
 * End of the replay: what follows is live. It carries the revision as its id too, so an
 * EventSource that saw no change before its connection dropped still reconnects with
 * `Last-Event-ID` and gets what it missed.
 */
export function readyFrame(revision: number): string {
  return `event: ready\nid: ${revision}\ndata: ${JSON.stringify({ revision })}\n\n`;
}

/**
 * `app_health_changed`: an instance's health as this replica sees it. Health is per replica and
 * not part of the feed, so the frame has no id: it is never replayed and never moves a
 * reconnecting client's `Last-Event-ID`. `revision` is the feed revision it was seen at.
 */
export function healthFrame(name: string, instance: InstanceInfo, revision: number): Buffer {
  const event = { type: "app_health_changed", name, revision, ...instance };
  return Buffer.from(`event: app_health_changed\ndata: ${JSON.stringify(event)}\n\n`);
}
