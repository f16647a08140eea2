/**
 * A gateway client's subscription to `/events`: it applies every pushed change to the client's
 * view and hands it to the client's listeners, in revision order and once each; it resumes after
 * the last revision it handled when the stream drops, and reloads every app on `resync` (or when
 * the gateway's revision went back: a store restored from an older save).
 */
import type { HttpTransport } from "../../client/transport.js";
import type { ChangeHub, GatewayChange } from "./change-hub.js";
import { EventStream } from "./event-stream.js";
import type { ServerEvent } from "./event-stream.js";
import type { LiveView } from "./live-view.js";

/** What a subscription works with. */
export interface SubscriptionOptions {
  transport: HttpTransport;
  view: LiveView;
  hub: ChangeHub;
  /** Loads every app into the view (`list_apps_with_schemas`), for a resync. */
  reload(): Promise<unknown>;
}

const CHANGE_TYPES = new Set(["app_registered", "app_updated", "app_unregistered"]);

/** Follows one gateway's change feed into one client's view. */
export class Subscription {
  /** True while the stream is open and caught up (its `ready` came): the view is current. */
  live = false;
  /** The newest revision the stream delivered; the next connection resumes after it. */
  private last: number | undefined;
  private readonly stream: EventStream;
  private settleFirst: (() => void) | undefined;

  constructor(private readonly options: SubscriptionOptions) {
    this.stream = new EventStream({
      transport: options.transport,
      path: "/events",
      since: () => this.last,
      onEvent: (event) => this.handle(event),
      onDrop: () => this.down(),
      onRefused: () => this.down(),
    });
  }

  /** The newest revision the stream delivered (0 before its first `ready`). */
  get revision(): number {
    return this.last ?? 0;
  }

  /**
   * Opens the stream. Resolves once it is live, or its first attempt failed, or after
   * `timeoutMs`; it keeps trying in the background unless the gateway refused it for good.
   */
  open(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.settleFirst?.(), timeoutMs);
      this.settleFirst = () => {
        clearTimeout(timer);
        this.settleFirst = undefined;
        resolve();
      };
      this.stream.start();
    });
  }

  /** Stops the stream; resolves once its socket and timers are gone. */
  async close(): Promise<void> {
    this.live = false;
    await this.stream.close();
    this.settleFirst?.();
  }

  private down(): void {
    this.live = false;
    this.settleFirst?.();
  }

  private async handle(event: ServerEvent): Promise<void> {
    const data = parseJson(event.data);
    if (event.event === "ready") {
      if (typeof data?.revision === "number") await this.ready(data.revision);
    } else if (event.event === "resync") {
      if (typeof data?.revision === "number") await this.resync(data.revision);
    } else if (CHANGE_TYPES.has(event.event) && isChange(data)) {
      this.apply(data);
    } else if (event.event === "app_health_changed" && isHealth(data)) {
      // Per replica and not part of the feed: no revision of its own, never replayed.
      this.options.view.health(data);
      this.options.hub.emit(data);
    }
  }

  private async ready(revision: number): Promise<void> {
    if (this.last === undefined) {
      // A first connection: if the view was loaded before (the connect-time wait ran out),
      // changes between that load and now were not seen, so listing asks the gateway again.
      this.options.view.invalidate();
      this.last = revision;
    } else if (revision < this.last) {
      await this.resync(revision); // the gateway's store went back in time
    }
    this.live = true;
    this.settleFirst?.();
  }

  private async resync(revision: number): Promise<void> {
    this.live = false;
    this.options.view.restart();
    await this.options.reload(); // a failure drops the stream: the next one resyncs again
    this.last = revision;
    this.options.hub.emit({ type: "resync", revision });
  }

  private apply(change: GatewayChange): void {
    if (this.last !== undefined && change.revision <= this.last) return; // a duplicate
    this.last = change.revision;
    this.options.view.change(change);
    this.options.hub.emit(change);
  }
}

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === "object" && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function isChange(data: Record<string, unknown> | undefined): data is GatewayChange {
  if (!data || typeof data.revision !== "number" || typeof data.name !== "string") return false;
  if (data.type === "app_unregistered") return true;
  const app = data.app as Record<string, unknown> | undefined;
  return (
    (data.type === "app_registered" || data.type === "app_updated") &&
    typeof app?.name === "string" &&
    typeof app.url === "string" &&
    typeof app.endpoints === "object" &&
    app.endpoints !== null
  );
}

function isHealth(data: unknown): data is Extract<GatewayChange, { type: "app_health_changed" }> {
  const event = data as { type?: unknown; name?: unknown; url?: unknown; health?: unknown } | null;
  return (
    event?.type === "app_health_changed" &&
    typeof event.name === "string" &&
    typeof event.url === "string" &&
    typeof event.health === "string"
  );
}
