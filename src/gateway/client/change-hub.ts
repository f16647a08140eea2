/**
 * Where a gateway client hands the changes it receives to its users: `on('change', fn)` listeners
 * and `changes()` async iterators, each iterator with its own buffer.
 */
import { InvalidOptionsError } from "../../errors.js";
import type { AppInfo, InstanceHealth } from "../tasks.js";

/**
 * One change of the gateway's apps, as `/events` sends it: an app registered, updated (registered
 * again) or unregistered, with the revision the change got; or `resync` after the client reloaded
 * every app (the feed had a gap, or the gateway's store went back): read `registeredApps()` again.
 */
export type GatewayChange =
  | { type: "app_registered"; revision: number; name: string; app: AppInfo }
  | { type: "app_updated"; revision: number; name: string; app: AppInfo }
  | { type: "app_unregistered"; revision: number; name: string }
  | { type: "resync"; revision: number }
  | {
      /** An instance's health changed on the gateway replica this client follows. */
      type: "app_health_changed";
      revision: number;
      name: string;
      url: string;
      health: InstanceHealth;
      last_check?: string;
      last_error?: string;
    };

/** A `change` listener. */
export type ChangeListener = (change: GatewayChange) => void;

/**
 * Changes an iterator keeps for a reader that does not keep up; past it they collapse into one
 * `resync` (the reader re-reads the view), so a stalled loop never holds unbounded memory.
 */
const MAX_BUFFERED = 1_024;

/** One `changes()` iterator: a buffer, and the reader waiting on it. */
class ChangeQueue implements AsyncIterableIterator<GatewayChange> {
  private buffer: GatewayChange[] = [];
  private waiting: ((result: IteratorResult<GatewayChange>) => void) | undefined;
  private done = false;

  constructor(private readonly onReturn: (queue: ChangeQueue) => void) {}

  push(change: GatewayChange): void {
    if (this.done) return;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      waiting({ value: change, done: false });
    } else if (this.buffer.length >= MAX_BUFFERED) {
      this.buffer = [{ type: "resync", revision: change.revision }];
    } else {
      this.buffer.push(change);
    }
  }

  /** No more changes: the reader gets what is buffered, then the end. */
  end(): void {
    this.done = true;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.({ value: undefined, done: true });
  }

  next(): Promise<IteratorResult<GatewayChange>> {
    const value = this.buffer.shift();
    if (value) return Promise.resolve({ value, done: false });
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiting = resolve;
    });
  }

  /** The reader left the loop (`break`, `return`, a throw): drop its buffer. */
  return(): Promise<IteratorResult<GatewayChange>> {
    this.buffer = [];
    this.end();
    this.onReturn(this);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<GatewayChange> {
    return this;
  }
}

/** The fan-out of one gateway client's changes. */
export class ChangeHub {
  private readonly listeners = new Set<ChangeListener>();
  private readonly queues = new Set<ChangeQueue>();
  private closed = false;

  /** Adds a `change` listener (once, however often it is added); returns its removal. */
  on(event: "change", listener: ChangeListener): () => void {
    assertChangeEvent(event);
    if (!this.closed) this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  off(event: "change", listener: ChangeListener): void {
    assertChangeEvent(event);
    this.listeners.delete(listener);
  }

  /** An iterator of the changes from now on; it ends when the hub closes. */
  changes(): AsyncIterableIterator<GatewayChange> {
    const queue = new ChangeQueue((q) => this.queues.delete(q));
    if (this.closed) queue.end();
    else this.queues.add(queue);
    return queue;
  }

  emit(change: GatewayChange): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(change);
      } catch (error) {
        // Like EventTarget: one failing listener neither stops the others nor the feed, and its
        // error is still reported (as an uncaught exception), not swallowed.
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    for (const queue of this.queues) queue.push(change);
  }

  /** Ends every iterator (after its buffered changes) and drops every listener. */
  close(): void {
    this.closed = true;
    this.listeners.clear();
    for (const queue of this.queues) queue.end();
    this.queues.clear();
  }
}

function assertChangeEvent(event: string): void {
  if (event !== "change") {
    throw new InvalidOptionsError(`A gateway client emits "change" events only, not "${event}"`);
  }
}
