/**
 * The open `/events` streams of one gateway. They share one feed subscription and one heartbeat
 * timer: each change is serialised once, into one Buffer, and that same Buffer is written to
 * every stream, so a thousand subscribers cost a thousand socket writes and nothing more.
 */
import type { ServerResponse } from "node:http";
import { InvalidOptionsError } from "../../errors.js";
import type { FeedEvent } from "../../registry/registry.js";
import type { FeedFollower } from "../state/feed-follower.js";
import {
  PING_FRAME,
  RETRY_FRAME,
  STREAM_HEADERS,
  eventFrame,
  readyFrame,
  resyncFrame,
} from "./sse-frames.js";

/** Options of the streams. */
export interface EventStreamsOptions {
  /** Milliseconds between `: ping` comments. */
  heartbeatMs: number;
  /**
   * Bytes a stream may have waiting to be sent (1 MiB); past it the subscriber is too slow and
   * is dropped: it reconnects and replays from its last id, instead of growing this buffer.
   */
  maxBufferedBytes?: number;
  /**
   * Adds what this replica knows to a change before it is sent (its instances' health): the
   * feed carries what is stored, a subscriber wants what is true here.
   */
  decorate?: (event: FeedEvent) => FeedEvent;
}

const MAX_BUFFERED = 1024 * 1024;

/** Every open stream, fed from the gateway's feed follower. */
export class EventStreams {
  private readonly streams = new Set<ServerResponse>();
  private readonly heartbeatMs: number;
  private readonly maxBuffered: number;
  private readonly decorate: (event: FeedEvent) => FeedEvent;
  private unsubscribe: (() => void) | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private isClosed = false;

  constructor(options: EventStreamsOptions) {
    const heartbeatMs = options.heartbeatMs;
    if (!Number.isFinite(heartbeatMs) || heartbeatMs < 1 || heartbeatMs > 2 ** 31 - 1) {
      throw new InvalidOptionsError("eventsHeartbeatMs must be a positive number of milliseconds", {
        data: { eventsHeartbeatMs: heartbeatMs },
      });
    }
    this.heartbeatMs = heartbeatMs;
    this.maxBuffered = options.maxBufferedBytes ?? MAX_BUFFERED;
    this.decorate = options.decorate ?? ((event) => event);
  }

  /** Open streams (subscribers). */
  get size(): number {
    return this.streams.size;
  }

  /** True once `close()` ended every stream: no new one starts. */
  get closed(): boolean {
    return this.isClosed;
  }

  /**
   * Starts a stream on `res`: the retry hint, the changes after `since` (or `resync` when they
   * are gone, or when `since` is newer than this feed), `ready`, then live changes. Without
   * `since`: `ready`, then live changes.
   */
  attach(res: ServerResponse, feed: FeedFollower, since: number | undefined): void {
    // Synchronous from here: the feed emits synchronously too, so between the replay read
    // here and the subscription below no change can slip through or come twice.
    const revision = feed.revision;
    let head = RETRY_FRAME;
    if (since !== undefined) {
      const replay = since > revision ? undefined : feed.changesSince(since);
      if (replay === undefined) head += resyncFrame(revision);
      else for (const change of replay) head += eventFrame(this.decorate(change));
    }
    head += readyFrame(revision);
    res.writeHead(200, STREAM_HEADERS);
    res.write(head);
    this.streams.add(res);
    res.once("close", () => this.detach(res));
    this.unsubscribe ??= feed.subscribe((event) => this.broadcast(event));
    this.heartbeat ??= setInterval(() => this.send(PING_FRAME), this.heartbeatMs).unref();
  }

  /** Ends every stream (a closing gateway must not wait for its subscribers to leave). */
  close(): void {
    this.isClosed = true;
    for (const res of this.streams) {
      // A stream with bytes still queued may never drain: drop it rather than wait.
      if (res.writableLength > 0) res.destroy();
      else res.end();
    }
    this.streams.clear();
    this.stopFeeding();
  }

  /** Sends a frame made elsewhere (health changes) to every open stream. */
  sendFrame(frame: Buffer): void {
    if (this.streams.size > 0) this.send(frame);
  }

  private broadcast(event: FeedEvent): void {
    this.send(Buffer.from(eventFrame(this.decorate(event))));
  }

  private send(frame: Buffer): void {
    for (const res of this.streams) {
      res.write(frame);
      if (res.writableLength > this.maxBuffered) {
        this.streams.delete(res);
        res.destroy();
      }
    }
    if (this.streams.size === 0) this.stopFeeding();
  }

  private detach(res: ServerResponse): void {
    if (this.streams.delete(res) && this.streams.size === 0) this.stopFeeding();
  }

  private stopFeeding(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }
}
