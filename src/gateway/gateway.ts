/**
 * Gateway: a Service that apps register with at run time and that forwards `/<app>/<path>` to
 * them. At registration it fetches the app's `detailed_endpoints` itself (bounded, never blocking
 * other requests), so every client can build a full proxy without the registering client's help.
 *
 * Its state is a view of the registry's change feed: a registration is written to the registry
 * first, then applied to the route table from the feed, exactly as every other replica or worker
 * applies it. Forwarding reads only the table and never waits for the store.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import type { ClientInit } from "../client/connection-manager.js";
import { AppNotRegisteredError, ServiceStoppingError } from "../errors.js";
import { MemoryFeedRegistry } from "../registry/memory/memory-registry.js";
import { createRegistry } from "../registry/create-registry.js";
import type { AppRecord, Registry } from "../registry/registry.js";
import { Service } from "../service/service.js";
import type { ServiceOptions } from "../service/service.js";
import type { ServeOptions, ServedService } from "../service/serve.js";
import { clipText } from "../net/url.js";
import { assertAppName, normalizeAppUrl } from "./app-name.js";
import { EventStreams } from "./events/event-streams.js";
import { registerEventsRoute } from "./events/events-route.js";
import { Forwarder } from "./forward/forwarder.js";
import { AppTable } from "./state/app-table.js";
import { CATCH_UP_MS, FeedFollower } from "./state/feed-follower.js";
import { UpstreamGuard } from "./upstream/guard.js";
import type { UpstreamResolver } from "./upstream/guard.js";
import { discover } from "./upstream/discovery.js";
import type { Discovery } from "./upstream/discovery.js";
import { Upstreams } from "./upstream/upstreams.js";
import { createGatewayClient } from "./gateway-client.js";
import { gatewayTasks } from "./tasks.js";
import type { RegisteredApp } from "./tasks.js";

/** Options of a gateway. */
export interface GatewayOptions extends ServiceOptions {
  /**
   * Where registrations are kept: a URL (`memory://`, the default; `sqlite:///abs/path.db` or
   * `sqlite:./rel.db`; `redis://host:port/db`; or `$PORTICO_REGISTRY`) or a Registry instance.
   */
  registry?: string | Registry;
  /**
   * Milliseconds an app may take to send a forwarded reply's headers, and between its body chunks,
   * before 504 (30 s). undici checks these with coarse timers: expect up to about a second more.
   */
  upstreamTimeout?: number;
  /** Milliseconds to fetch an app's `detailed_endpoints` at registration (5 s). */
  discoveryTimeout?: number;
  /** Sockets per app (128). */
  connectionsPerApp?: number;
  /** Milliseconds to connect to an app before 504 UPSTREAM_TIMEOUT (5 s). */
  connectTimeout?: number;
  /** Largest forwarded request body in bytes, streamed bodies counted as they pass (64 MiB). */
  maxBodyBytes?: number;
  /** Largest `detailed_endpoints` reply read at registration (8 MiB); over it: not discovered. */
  discoveryMaxBytes?: number;
  /**
   * Where apps may live: CIDRs (`10.0.0.0/8`, `::1/128`), addresses and host names
   * (`$PORTICO_ALLOWED_UPSTREAMS`, comma-separated). Default: loopback and the private ranges;
   * never link-local, metadata or unspecified addresses unless named here.
   */
  allowedUpstreams?: string[];
  /** Resolves app host names (tests map names to loopback addresses); default `dns.lookup`. */
  resolver?: UpstreamResolver;
  /** Forwarded requests in flight per app before 503 UPSTREAM_BUSY (off by default). */
  maxInFlightPerApp?: number;
  /** Milliseconds between `: ping` comments on `/events` streams (15 s). */
  eventsHeartbeatMs?: number;
}

/** How long a write waits for the feed to bring it back to this gateway's table. */
const APPLY_MS = 5_000;

/** The gateway service. */
export class Gateway extends Service {
  static override tasks = gatewayTasks;
  static override moduleUrl: string | undefined = import.meta.url;
  static override readonly isGateway = true as const;

  private readonly registrySource: string | Registry;
  private registryInstance: Registry | undefined;
  private follower: FeedFollower | undefined;
  private opening: Promise<void> | undefined;
  private readonly table: AppTable;
  private readonly forwarder: Forwarder;
  private readonly discoveryTimeout: number;
  private readonly discoveryMaxBytes: number;
  private readonly guard: UpstreamGuard;
  private readonly upstreams: Upstreams;
  private readonly events: EventStreams;

  constructor(options: GatewayOptions = {}) {
    super(options);
    this.events = new EventStreams({ heartbeatMs: options.eventsHeartbeatMs ?? 15_000 });
    this.registrySource = options.registry ?? process.env.PORTICO_REGISTRY ?? "memory://";
    this.discoveryTimeout = options.discoveryTimeout ?? 5_000;
    this.discoveryMaxBytes = options.discoveryMaxBytes ?? 8 * 1024 * 1024;
    this.guard = new UpstreamGuard({
      allowed: options.allowedUpstreams ?? envList("PORTICO_ALLOWED_UPSTREAMS"),
      ...(options.resolver ? { resolver: options.resolver } : {}),
    });
    this.upstreams = new Upstreams({
      guard: this.guard,
      connections: options.connectionsPerApp ?? 128,
      connectTimeout: options.connectTimeout ?? 5_000,
      upstreamTimeout: options.upstreamTimeout ?? 30_000,
    });
    const admin = { access: "admin" } as const;
    this.addEndpoint(
      gatewayTasks.register_app,
      ({ name, url }) => this.registerApp(name, url),
      admin,
    );
    this.addEndpoint(gatewayTasks.unregister_app, ({ name }) => this.unregisterApp(name), admin);
    this.forwarder = new Forwarder({
      upstreams: this.upstreams,
      policy: this.policy,
      maxBodyBytes: options.maxBodyBytes ?? 64 * 1024 * 1024,
      maxInFlightPerApp: options.maxInFlightPerApp ?? 0,
      // Every admin endpoint a Portico service or gateway has: an app's are the same names.
      adminEndpoints: new Set(this.endpointNames("admin").map((n) => n.toLowerCase())),
      onUnknownApp: (name) => this.awaitApp(name),
    });
    this.table = new AppTable(this.forwarder);
    // An in-process registry opens at once, so `app.inject()` works without `serve()`.
    if (typeof this.registrySource !== "string" || this.registrySource === "memory://") {
      this.open().catch(() => undefined); // serve() and every write await it and report errors
    }
    this.addEndpoint(gatewayTasks.list_apps, async () => {
      await this.catchUp();
      return { apps: this.table.names() };
    });
    this.addEndpoint(gatewayTasks.list_apps_with_schemas, async ({ names }) => {
      await this.catchUp(names);
      return this.table.list(names);
    });
  }

  /**
   * Opens the registry (importing its backend for a URL) and loads its apps into the table, once.
   * `serve()` awaits it; so does every registration.
   */
  open(): Promise<void> {
    return (this.opening ??= (async () => {
      const source = this.registrySource;
      const registry =
        typeof source !== "string"
          ? source
          : source === "memory://"
            ? new MemoryFeedRegistry()
            : await createRegistry(source);
      this.registryInstance = registry;
      this.follower = new FeedFollower(registry, this.table);
      await this.follower.start();
    })().catch((error: unknown) => {
      // A store that was down at start may be up at the next attempt: do not keep the failure.
      this.opening = undefined;
      throw error;
    }));
  }

  /** The registry (open once `open()` or `serve()` resolved). */
  get registry(): Registry {
    if (!this.registryInstance) {
      throw new ServiceStoppingError("The gateway's registry is not open: serve() it first");
    }
    return this.registryInstance;
  }

  /** The feed follower of this gateway: `/events` and other local readers subscribe to it. */
  get feed(): FeedFollower {
    if (!this.follower) throw new ServiceStoppingError("The gateway is not serving");
    return this.follower;
  }

  /**
   * Registers (or replaces) an app and discovers its endpoints. The registry decides which of
   * concurrent operations on a name wins: the one that began last, even when an earlier one
   * (still discovering) finishes after it; a superseded registration changes nothing.
   */
  async registerApp(name: string, url: string): Promise<RegisteredApp> {
    assertAppName(name);
    const normalized = normalizeAppUrl(url);
    await this.open();
    const registry = this.registry;
    // The ticket first: an unregister that arrives while the name resolves must still win.
    const { ticket } = await registry.begin(name);
    await this.guard.check(new URL(normalized).hostname);
    const found: Discovery = await discover(this.upstreams, normalized, {
      timeout: this.discoveryTimeout,
      maxBytes: this.discoveryMaxBytes,
      via: this.policy.via,
    });
    const endpoints = found.endpoints;
    const record: AppRecord = { name, url: normalized, endpoints: endpoints ?? {} };
    const reply: RegisteredApp = { ...record, discovered: endpoints !== undefined };
    if (found.error) {
      reply.discovery_error = { code: found.error.code, message: found.error.message };
    }
    if (this.state === "Stopping") throw new ServiceStoppingError("The gateway is shutting down");
    const change = await registry.apply({ op: "put", app: record, ticket });
    if (change) {
      reply.revision = change.revision;
      await this.feed.waitFor(change.revision, APPLY_MS);
    }
    return reply;
  }

  /**
   * Removes an app for every client and replica, and drops registrations of it still in
   * progress (the later operation wins, even over a first registration still discovering).
   */
  async unregisterApp(
    name: string,
  ): Promise<{ name: string; removed: boolean; revision?: number }> {
    await this.open();
    const { ticket, superseded } = await this.registry.begin(name);
    const change = await this.registry.apply({ op: "delete", name, ticket });
    if (change) {
      await this.feed.waitFor(change.revision, APPLY_MS);
      return { name, removed: true, revision: change.revision };
    }
    if (superseded) return { name, removed: true };
    const shown = clipText(name);
    throw new AppNotRegisteredError(`App "${shown}" is not registered`, { data: { name: shown } });
  }

  /** Opens the registry, loads its apps (a durable one survives restarts), then listens. */
  override async serve(options?: ServeOptions): Promise<ServedService> {
    await this.open();
    return super.serve(options);
  }

  /** Open `/events` streams. */
  get eventSubscribers(): number {
    return this.events.size;
  }

  override async close(): Promise<void> {
    this.events.close();
    await super.close();
    await this.follower?.close();
    this.forwarder.close();
    await this.upstreams.close();
    // A registry passed in belongs to the caller; one opened from a URL is this gateway's.
    if (typeof this.registrySource === "string") await this.registryInstance?.close();
  }

  protected static override async createClient(init: ClientInit): Promise<unknown> {
    return createGatewayClient(init);
  }

  protected override registerRoutes(app: FastifyInstance): void {
    registerEventsRoute(app, {
      streams: this.events,
      feed: async () => {
        await this.open();
        return this.feed;
      },
    });
  }

  protected override handleRaw(req: IncomingMessage, res: ServerResponse): boolean {
    return this.forwarder.handle(req, res);
  }

  protected override heartbeatDetails(): unknown {
    return { apps: this.table.size, revision: this.table.revision };
  }

  /**
   * A call named an app this replica does not know: another replica may have registered it a
   * moment ago. Wait (bounded) until this table reflects the store's newest revision.
   */
  private async awaitApp(name: string): Promise<boolean> {
    await this.catchUp();
    return this.table.has(name);
  }

  /** Catches up with the store when asked about apps this table may not have yet. */
  private async catchUp(names?: string[]): Promise<void> {
    await this.open();
    if (names !== undefined && names.every((name) => this.table.has(name))) return;
    await this.follower?.catchUp(CATCH_UP_MS);
  }
}

/** A comma-separated list from the environment, or undefined when the variable is unset. */
function envList(variable: string): string[] | undefined {
  const value = process.env[variable];
  return value === undefined ? undefined : value.split(",").filter((e) => e.trim() !== "");
}
