/**
 * The console's state and the one place that changes it: the initial list, live events, stats
 * polling and the MCP tool list. Components read snapshots and call its methods.
 */
import { CallError, callTask, send, setToken } from "./api";
import { openEventStream } from "./event-stream";
import type { EventStream, StreamState } from "./event-stream";
import { listTools, toolsByApp } from "./mcp";
import type { AppInfo, GatewayEvent, McpTool, StatsReply, WireError } from "./types";

/** One line of the events log. */
export interface LogEntry {
  key: number;
  time: string;
  type: string;
  app: string;
  revision: number | undefined;
  detail: string;
}

/** Everything the page shows. */
export interface ConsoleState {
  serverId: string | undefined;
  apps: AppInfo[];
  revision: number | undefined;
  stream: StreamState;
  streamDetail: string | undefined;
  loadError: WireError | undefined;
  /** `undefined` while loading; `unavailable` when the gateway has no `app_stats`. */
  stats: StatsReply | "unavailable" | undefined;
  /** Tools by app; `off` when the gateway serves no MCP; undefined until listed. */
  tools: Map<string, McpTool[]> | "off" | undefined;
  events: LogEntry[];
  /** The latest change in words, for the polite live region. */
  announcement: string;
}

const MAX_EVENTS = 200;
const STATS_MS = 2_000;
/** Health checks move `last_check` without an event: the list is read again this often. */
const REFRESH_MS = 10_000;

/** The console's state, with subscribers told after every change. */
export class ConsoleModel {
  state: ConsoleState = {
    serverId: undefined,
    apps: [],
    revision: undefined,
    stream: "connecting",
    streamDetail: undefined,
    loadError: undefined,
    stats: undefined,
    tools: undefined,
    events: [],
    announcement: "",
  };
  private readonly listeners = new Set<() => void>();
  private stream: EventStream | undefined;
  private statsTimer: ReturnType<typeof setInterval> | undefined;
  private refreshTimer: ReturnType<typeof setInterval> | undefined;
  private toolsTimer: ReturnType<typeof setTimeout> | undefined;
  /** Events that came while a list was loading: applied after it, when newer than it. */
  private pending: GatewayEvent[] | undefined;
  /** Reloads started: a reload's list is shown only when no later one was started. */
  private reloads = 0;
  private nextKey = 1;
  /** The token last confirmed: confirming it again changes nothing. */
  private committed = "";

  /** Calls `listener` after every change; returns the unsubscribe function. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Loads the list, then follows `/events` and polls the stats. */
  async start(): Promise<void> {
    void this.loadServerId();
    await this.reload();
    // The first connection replays every change since the list was read. Later ones (after a
    // drop, or a refusal before the token was typed) may have missed health changes, which are
    // not part of the feed and never replayed: the list is read again once live again.
    let replaysAll = this.state.revision !== undefined;
    this.stream = openEventStream({
      ...(this.state.revision !== undefined ? { since: this.state.revision } : {}),
      onEvent: (event) => this.onEvent(event),
      onState: (stream, detail) => {
        const resumed = stream === "live" && this.state.stream !== "live";
        this.set({ stream, streamDetail: detail });
        if (!resumed) return;
        if (replaysAll) replaysAll = false;
        else void this.reload(false);
      },
    });
    this.statsTimer = setInterval(() => void this.pollStats(), STATS_MS);
    void this.pollStats();
    this.refreshTimer = setInterval(() => {
      if (!document.hidden && this.state.stream === "live") void this.reload(false);
    }, REFRESH_MS);
  }

  /** Stops the stream and the timers. */
  stop(): void {
    this.stream?.stop();
    clearInterval(this.statsTimer);
    clearInterval(this.refreshTimer);
    clearTimeout(this.toolsTimer);
  }

  /** Uses `token` from now on: reloads what a missing token may have refused. */
  useToken(token: string): void {
    setToken(token);
    if (token.trim() === this.committed) return;
    this.committed = token.trim();
    this.stream?.restart();
    void this.reload();
    if (this.state.stats !== "unavailable") void this.pollStats();
  }

  /** Loads every app and the revision the list reflects (and then the tools, unless told not to). */
  async reload(tools = true): Promise<void> {
    // Reloads overlap (token typed, stream resumed, periodic refresh): only the latest one's
    // list is shown, and events that come meanwhile wait in its buffer.
    const seq = ++this.reloads;
    const pending: GatewayEvent[] = [];
    this.pending = pending;
    let list: { apps: AppInfo[]; revision?: number } | undefined;
    try {
      list = await callTask<{ apps: AppInfo[]; revision?: number }>("list_apps_with_schemas");
    } catch (error) {
      if (seq === this.reloads) this.set({ loadError: wireOf(error) });
    }
    if (seq === this.reloads) {
      this.pending = undefined;
      if (list) this.set({ apps: list.apps, revision: list.revision, loadError: undefined });
      for (const event of pending) if (!list || newer(event, list.revision)) this.apply(event);
    }
    if (tools) this.scheduleTools();
  }

  private onEvent(event: GatewayEvent): void {
    if (event.type === "ready") return;
    this.log(event);
    if (event.type === "resync") return void this.reload();
    if (this.pending) this.pending.push(event);
    else this.apply(event);
  }

  private apply(event: GatewayEvent): void {
    const apps = this.state.apps;
    const revision =
      event.type === "app_health_changed" ? this.state.revision : (event.revision ?? undefined);
    if (event.type === "app_registered" || event.type === "app_updated") {
      const app = event.app;
      if (!app) return void this.reload();
      const at = apps.findIndex((a) => a.name === app.name);
      const next = at === -1 ? [...apps, app] : apps.map((a, i) => (i === at ? app : a));
      this.set({ apps: next, revision });
      this.scheduleTools();
    } else if (event.type === "app_unregistered") {
      this.set({ apps: apps.filter((a) => a.name !== event.name), revision });
      this.scheduleTools();
    } else if (event.type === "app_health_changed") {
      this.set({ apps: apps.map((a) => (a.name === event.name ? withHealth(a, event) : a)) });
    }
  }

  private log(event: GatewayEvent): void {
    const name = event.name ?? event.app?.name ?? "";
    const detail =
      event.type === "app_health_changed"
        ? `${event.url ?? ""} ${event.health ?? ""}${event.last_error ? `: ${event.last_error}` : ""}`
        : "";
    const entry: LogEntry = {
      key: this.nextKey++,
      time: new Date().toLocaleTimeString(),
      type: event.type,
      app: name,
      revision: event.revision,
      detail,
    };
    const words = event.type.replace(/^app_/, "").replace(/_/g, " ");
    const announcement = name ? `${name}: ${words}${event.health ? ` (${event.health})` : ""}` : "";
    this.set({
      events: [entry, ...this.state.events].slice(0, MAX_EVENTS),
      ...(announcement ? { announcement } : {}),
    });
  }

  private async pollStats(): Promise<void> {
    if (document.hidden && this.state.stats !== undefined) return;
    try {
      const stats = await callTask<StatsReply>("app_stats");
      this.set({ stats });
    } catch (error) {
      if (error instanceof CallError && error.status === 404) {
        clearInterval(this.statsTimer);
        this.set({ stats: "unavailable" });
      }
    }
  }

  private scheduleTools(): void {
    clearTimeout(this.toolsTimer);
    this.toolsTimer = setTimeout(() => void this.loadTools(), 300);
  }

  private async loadTools(): Promise<void> {
    const result = await listTools();
    if (result.kind === "off") this.set({ tools: "off" });
    else if (result.kind === "tools") this.set({ tools: toolsByApp(result.tools) });
  }

  private async loadServerId(): Promise<void> {
    const reply = await send("/heartbeat");
    const id = (reply.body as { heartbeat?: { server_id?: string } } | undefined)?.heartbeat;
    if (id?.server_id) this.set({ serverId: id.server_id });
  }

  private set(patch: Partial<ConsoleState>): void {
    this.state = { ...this.state, ...patch };
    for (const listener of this.listeners) listener();
  }
}

/** True when `event` is not reflected by a list at `revision` (health changes never are). */
function newer(event: GatewayEvent, revision: number | undefined): boolean {
  if (event.type === "app_health_changed") return true;
  return event.revision === undefined || revision === undefined || event.revision > revision;
}

function withHealth(app: AppInfo, event: GatewayEvent): AppInfo {
  const instances = (app.instances ?? []).map((instance) =>
    instance.url === event.url
      ? {
          ...instance,
          ...(event.health ? { health: event.health } : {}),
          ...(event.last_check ? { last_check: event.last_check } : {}),
          last_error: event.last_error,
        }
      : instance,
  );
  return { ...app, instances };
}

/** The wire error of a failed call. */
export function wireOf(error: unknown): WireError {
  if (error instanceof CallError) return error.wire;
  return { code: "CONSOLE_ERROR", message: error instanceof Error ? error.message : String(error) };
}
