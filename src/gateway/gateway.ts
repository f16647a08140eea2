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
import {
  AppNotRegisteredError,
  InstanceMismatchError,
  InvalidOptionsError,
  ServiceStoppingError,
} from "../errors.js";
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
import { AppsOpenApi } from "./state/apps-openapi.js";
import { isDocsPath } from "../service/http/docs-route.js";
import type { OpenApiDocument } from "../service/openapi.js";
import {
  editApp,
  endpointDifference,
  sameEndpoints,
  withInstance,
  withoutInstance,
} from "./state/app-writes.js";
import { LeaseSweeper } from "./state/lease-sweeper.js";
import type { AppInstances, BalanceStrategy } from "./upstream/balancer.js";
import { Fleet, instancesOf } from "./upstream/fleet.js";
import { HealthChecker, healthOptions } from "./upstream/health.js";
import type { HealthOptions } from "./upstream/health.js";
import type { Instance, PassiveOptions } from "./upstream/instance.js";
import { CATCH_UP_MS, FeedFollower } from "./state/feed-follower.js";
import { UpstreamGuard } from "./upstream/guard.js";
import type { UpstreamResolver } from "./upstream/guard.js";
import { discover } from "./upstream/discovery.js";
import type { Discovery } from "./upstream/discovery.js";
import { Upstreams } from "./upstream/upstreams.js";
import { createGatewayClient } from "./gateway-client.js";
import { gatewayTasks } from "./tasks.js";
import type { InstanceInfo, RegisteredApp } from "./tasks.js";
import { healthFrame } from "./events/sse-frames.js";
import { callApp } from "./forward/app-call.js";
import { McpApps } from "./upstream/mcp-apps.js";
import { builtinTasks } from "../contract/builtins.js";
import { booleanOption } from "../service/options.js";
import type { McpOptions } from "../service/options.js";
import type { McpHandler } from "../service/http-app.js";
import { packageVersion } from "../version.js";
import { isConsolePath, registerConsoleRoutes } from "./console/console-routes.js";
import { gatewayLinks } from "./console/index-page.js";
import type { IndexLink } from "./console/index-page.js";
import { composeObservers } from "../observe/forward-observer.js";
import { createLogObserver } from "../observe/log-observer.js";
import type { ForwardObserver } from "../observe/forward-observer.js";
import { AppMetrics } from "../observe/app-metrics.js";
import { appStatsHandler, registryBackend } from "../observe/app-stats.js";
import { addGatewayMetrics } from "../observe/gateway-metrics.js";
import { observeCall } from "../observe/observe-call.js";

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
  /**
   * Active health checks of every instance, per replica: `{ intervalMs: 5000, timeoutMs: 1000,
   * unhealthyAfter: 2, healthyAfter: 1 }` by default; `false` turns them off.
   */
  health?: Partial<HealthOptions> | false;
  /**
   * Passive ejection: `{ consecutiveFailures: 5, ejectMs: 10000, maxEjectMs: 300000 }` by
   * default (connect errors, resets and 502/503/504 in a row); `false` turns it off.
   */
  passiveHealth?: Partial<PassiveOptions> | false;
  /** How calls spread over an app's instances (`least-in-flight`, the default, or `round-robin`). */
  balance?: BalanceStrategy;
  /** The console at `/console` (true); `false` leaves only the `/` index. */
  console?: boolean;
}

/** How an instance is registered. */
export interface RegisterOptions {
  /** `replace` (the default): the app becomes this one instance; `add`: one more instance of it. */
  mode?: "replace" | "add";
  /** Keep the instance only while `renew_lease` comes within this many ms (manual: never expires). */
  leaseMs?: number;
  /** URL of the app's OpenAPI document (default: `/openapi.json` when it has no `detailed_endpoints`). */
  openapi?: string;
  /** Path a non-Portico app answers with 2xx/3xx when healthy (default: a TCP connect). */
  healthPath?: string;
  /** `mcp`: the URL is an MCP server (detected when absent, after Portico and OpenAPI). */
  kind?: "mcp";
}

const PASSIVE_DEFAULTS: PassiveOptions = {
  consecutiveFailures: 5,
  ejectMs: 10_000,
  maxEjectMs: 300_000,
};

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
  private readonly fleet: Fleet;
  private readonly checker: HealthChecker | undefined;
  private sweeper: LeaseSweeper | undefined;
  /** Endpoint names every Portico app has that only the admin may call (lower case). */
  private readonly adminEndpoints: ReadonlySet<string>;
  /** The registered apps' part of `/openapi.json` and `/docs` (made on first read). */
  private appsOpenApi: AppsOpenApi | undefined;
  private readonly maxInFlightPerApp: number;
  /** Apps that are MCP servers: their connections and calls. */
  private readonly mcpApps: McpApps;
  /** Re-discoveries in progress, by app and instance, so a restart is handled once. */
  private readonly rediscovering = new Set<string>();
  /** Whether `/console` is served. */
  private readonly consoleOn: boolean;
  /** What `GET /` links to. */
  private readonly indexLinks: IndexLink[];
  /** Per-app request counters (undefined: `metrics: false`). */
  private readonly appMetrics: AppMetrics | undefined;
  /** What watches every call routed to an app (metrics, logs); undefined: nothing does. */
  private observer: ForwardObserver | undefined;
  /** The MCP endpoint once loaded (its subscribers are counted). */
  private mcpServer: { subscriberCount: number } | undefined;

  constructor(options: GatewayOptions = {}) {
    super(options);
    this.events = new EventStreams({
      heartbeatMs: options.eventsHeartbeatMs ?? 15_000,
      decorate: (event) =>
        event.type === "app_registered" || event.type === "app_updated"
          ? { ...event, app: this.withHealth(event.app) }
          : event,
    });
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
      ({ name, url, mode, lease_ms, openapi, health_path, kind }) =>
        this.registerApp(name, url, {
          ...(mode ? { mode } : {}),
          ...(kind ? { kind } : {}),
          ...(lease_ms !== undefined ? { leaseMs: lease_ms } : {}),
          ...(openapi !== undefined ? { openapi } : {}),
          ...(health_path !== undefined ? { healthPath: health_path } : {}),
        }),
      admin,
    );
    this.addEndpoint(
      gatewayTasks.unregister_app,
      ({ name, url }) => this.unregisterApp(name, url === undefined ? {} : { url }),
      admin,
    );
    this.addEndpoint(
      gatewayTasks.renew_lease,
      async ({ name, url, lease_ms }) => ({
        renewed: await this.renewLease(name, url, lease_ms),
      }),
      admin,
    );
    const passive =
      options.passiveHealth === false
        ? undefined
        : passiveOptions({ ...PASSIVE_DEFAULTS, ...options.passiveHealth });
    const health = options.health === false ? undefined : healthOptions(options.health);
    this.fleet = new Fleet({
      upstreams: this.upstreams,
      balance: balanceStrategy(options.balance),
      passive,
      thresholds: health ?? { unhealthyAfter: 2, healthyAfter: 1 },
      onHealth: (app, instance) => this.healthChanged(app, instance),
      onRestart: (app, instance, serverId) => this.rediscover(app, instance, serverId),
    });
    if (health) {
      this.checker = new HealthChecker(
        health,
        this.guard,
        this.policy.via,
        (app, instance, result) => {
          this.fleet.onCheck(app, instance, result);
          this.table.touch(app.name); // its last_check moved
        },
      );
      this.fleet.useChecker(this.checker);
    }
    this.adminEndpoints = new Set(this.endpointNames("admin").map((n) => n.toLowerCase()));
    this.maxInFlightPerApp = options.maxInFlightPerApp ?? 0;
    this.consoleOn = booleanOption(options.console, "console");
    this.indexLinks = gatewayLinks({
      console: this.consoleOn,
      docs: options.docs !== false,
      metrics: this.metrics !== undefined,
    });
    this.appMetrics = this.metrics ? new AppMetrics() : undefined;
    this.observer = this.forwardObserver();
    this.forwarder = new Forwarder({
      upstreams: this.upstreams,
      fleet: this.fleet,
      policy: this.policy,
      maxBodyBytes: options.maxBodyBytes ?? 64 * 1024 * 1024,
      maxInFlightPerApp: this.maxInFlightPerApp,
      // Every admin endpoint a Portico service or gateway has: an app's are the same names.
      adminEndpoints: this.adminEndpoints,
      onUnknownApp: (name) => this.awaitApp(name),
      mcp: (req, res, app, path) => this.mcpApps.handleHttp(req, res, app, path),
      observer: this.observer,
    });
    this.table = new AppTable(this.fleet, (app) => this.withHealth(app));
    this.mcpApps = new McpApps({
      upstreams: this.upstreams,
      via: this.policy.via,
      timeoutMs: options.upstreamTimeout ?? 30_000,
      passive,
      onToolsChanged: (name, url) => {
        const app = this.fleet.apps.get(name);
        const instance = this.fleet.instance(name, url);
        if (app && instance) this.rediscover(app, instance, undefined);
      },
      route: (name) => this.fleet.apps.get(name),
      maxBodyBytes: this.bodyLimit,
    });
    this.table.onChange((change) => this.mcpApps.changed(change, () => this.table.records()));
    this.observeApps();
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
      this.sweeper = new LeaseSweeper(registry, (name, url) => this.expireInstance(name, url));
      this.sweeper.start();
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
   * Registers an app, or (mode `add`) one more instance of it, and discovers its endpoints
   * (`detailed_endpoints`, else an OpenAPI document). In mode `replace` the registry decides
   * which of concurrent operations on a name wins: the one that began last, even when an
   * earlier one (still discovering) finishes after it. In mode `add` the instance joins the app
   * by compare-and-set, so concurrent additions all land; its endpoints must be the app's.
   */
  async registerApp(
    name: string,
    url: string,
    options: RegisterOptions = {},
  ): Promise<RegisteredApp> {
    assertAppName(name);
    const normalized = normalizeAppUrl(url);
    const openapi = options.openapi === undefined ? undefined : normalizeAppUrl(options.openapi);
    const healthPath = options.healthPath === undefined ? undefined : checkPath(options.healthPath);
    await this.open();
    const registry = this.registry;
    const add = options.mode === "add";
    // The ticket first: an unregister that arrives while the name resolves must still win.
    const ticket = add ? undefined : (await registry.begin(name)).ticket;
    await this.guard.check(new URL(normalized).hostname);
    const found: Discovery = await discover(this.upstreams, normalized, {
      timeout: this.discoveryTimeout,
      maxBytes: this.discoveryMaxBytes,
      via: this.policy.via,
      ...(openapi !== undefined ? { openapi } : {}),
      ...(options.kind === "mcp" ? { mcp: true } : {}),
    });
    const endpoints = found.endpoints;
    const instance: InstanceInfo = { url: normalized };
    if (options.leaseMs !== undefined) instance.lease_ms = options.leaseMs;
    if (found.serverId !== undefined) instance.server_id = found.serverId;
    const record: AppRecord = {
      name,
      url: normalized,
      endpoints: endpoints ?? {},
      kind: found.kind,
      instances: [instance],
      ...(openapi !== undefined ? { openapi } : {}),
      ...(found.mcpPath !== undefined ? { mcp: found.mcpPath } : {}),
      ...(healthPath !== undefined ? { health_path: healthPath } : {}),
    };
    if (this.state === "Stopping") throw new ServiceStoppingError("The gateway is shutting down");
    // The lease before the instance: a crash in between leaves a lease that expires alone,
    // never an instance that should expire and has no lease.
    if (options.leaseMs !== undefined) await registry.lease(name, normalized, options.leaseMs);
    const change = add
      ? await editApp(registry, name, (current) =>
          current ? { put: this.joined(current, record, instance) } : { put: record },
        )
      : await registry.apply({ op: "put", app: record, ticket });
    if (change) await this.feed.waitFor(change.revision, APPLY_MS);
    const written = change && change.type !== "app_unregistered" ? change.app : record;
    const reply: RegisteredApp = {
      ...this.withHealth(written),
      discovered: endpoints !== undefined,
    };
    if (found.error) {
      reply.discovery_error = { code: found.error.code, message: found.error.message };
    }
    if (change) reply.revision = change.revision;
    return reply;
  }

  /**
   * Removes an app for every client and replica, and drops registrations of it still in
   * progress (the later operation wins, even over a first registration still discovering).
   * With `url`, removes that instance only (and the app with its last instance).
   */
  async unregisterApp(
    name: string,
    options: { url?: string } = {},
  ): Promise<{ name: string; removed: boolean; url?: string; revision?: number }> {
    await this.open();
    const registry = this.registry;
    const shown = clipText(name);
    if (options.url !== undefined) {
      const url = normalizeAppUrl(options.url);
      let found = false;
      const change = await editApp(registry, name, (current) => {
        found = current !== undefined && instancesOf(current).some((i) => i.url === url);
        if (!current || !found) return undefined;
        const rest = withoutInstance(current, url);
        return rest ? { put: rest } : { remove: true };
      });
      await registry.dropLease(name, url);
      if (!found) {
        throw new AppNotRegisteredError(`App "${shown}" has no instance at ${clipText(url)}`, {
          data: { name: shown, url: clipText(url) },
        });
      }
      if (change) await this.feed.waitFor(change.revision, APPLY_MS);
      return { name, removed: true, url, ...(change ? { revision: change.revision } : {}) };
    }
    const current = this.table.get(name);
    const { ticket, superseded } = await registry.begin(name);
    const change = await registry.apply({ op: "delete", name, ticket });
    for (const instance of current ? instancesOf(current) : []) {
      if (instance.lease_ms !== undefined) await registry.dropLease(name, instance.url);
    }
    if (change) {
      await this.feed.waitFor(change.revision, APPLY_MS);
      return { name, removed: true, revision: change.revision };
    }
    if (superseded) return { name, removed: true };
    throw new AppNotRegisteredError(`App "${shown}" is not registered`, { data: { name: shown } });
  }

  /**
   * Extends the lease of a self-registered instance. False when it is gone (expired, removed,
   * or the app replaced): the service then registers again.
   */
  async renewLease(name: string, url: string, leaseMs?: number): Promise<boolean> {
    const normalized = normalizeAppUrl(url);
    await this.open();
    const instance = this.fleet.instance(name, normalized);
    if (!instance || instance.leaseMs === undefined) {
      // Not (or no longer) a leased instance of this app here: the service must register again.
      if (!(await this.registry.get(name))?.app.instances?.some((i) => i.url === normalized)) {
        return false;
      }
    }
    return this.registry.renewLease(name, normalized, leaseMs ?? instance?.leaseMs ?? 15_000);
  }

  /** Opens the registry, loads its apps (a durable one survives restarts), then listens. */
  override async serve(options?: ServeOptions): Promise<ServedService> {
    await this.open();
    // Spans are made only when a tracer is registered, known once the API is loaded: until
    // then the observer leaves tracing out, so untraced forwarding composes nothing for it.
    await this.tracing.load();
    this.observer = this.forwardObserver();
    this.forwarder.observer = this.observer;
    return super.serve(options);
  }

  /** What watches forwarded requests: counts, log lines and (with a tracer) spans. */
  private forwardObserver(): ForwardObserver | undefined {
    return composeObservers([
      this.appMetrics,
      createLogObserver(this.logger),
      this.tracing.otel ? this.tracing.forwardObserver() : undefined,
    ]);
  }

  /** Counts per app, with the gateway's gauges on `/metrics`, and answers `app_stats`. */
  private observeApps(): void {
    const apps = this.appMetrics;
    const subscribers = (): { events: number; mcp: number } => ({
      events: this.events.size,
      mcp: this.mcpServer?.subscriberCount ?? 0,
    });
    this.addEndpoint(
      gatewayTasks.app_stats,
      appStatsHandler(() => ({
        metrics: apps,
        names: this.fleet.apps.keys(),
        backend: registryBackend(this.registryInstance ?? this.registrySource),
        revision: this.table.revision,
        subscribers: subscribers(),
      })),
      { methods: ["GET", "POST"] },
    );
    if (!apps || !this.metrics) return;
    this.table.onChange(() => apps.prune(this.fleet.apps));
    addGatewayMetrics(this.metrics, apps, {
      apps: () => this.fleet.apps.values(),
      appCount: () => this.fleet.apps.size,
      revision: () => this.table.revision,
      eventSubscribers: () => this.events.size,
      mcpSubscribers: () => subscribers().mcp,
    });
  }

  /** Open `/events` streams. */
  get eventSubscribers(): number {
    return this.events.size;
  }

  override async close(): Promise<void> {
    this.events.close();
    this.checker?.close();
    await this.sweeper?.close();
    await super.close();
    await this.mcpApps.close();
    await this.follower?.close();
    this.fleet.close();
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
    registerConsoleRoutes(app, {
      console: this.consoleOn,
      title: `${this.constructor.name} ${this.id}`,
      links: this.indexLinks,
    });
  }

  /** The gateway's MCP endpoint: the tools of every registered app (loaded on first use). */
  protected override async createMcp(
    options: McpOptions,
  ): Promise<McpHandler & { close(): Promise<void> }> {
    await this.open();
    const { createGatewayMcp } = await import("../mcp/gateway-mcp.js");
    const callHost = {
      policy: this.policy,
      passive: this.fleet.passive,
      upstreamTimeout: this.upstreams.options.upstreamTimeout,
      maxInFlightPerApp: this.maxInFlightPerApp,
      observer: this.observer,
    };
    const endpoint = createGatewayMcp(
      {
        name: this.constructor.name,
        version: packageVersion(),
        description: `${this.description} Tools are named <app>__<endpoint>; the list changes as apps register.`,
        apps: () => this.table.records(),
        onChange: (listener) => this.table.onChange(listener),
        route: (name) => this.fleet.apps.get(name),
        callApp: (app, call) => callApp(callHost, app, call),
        callTool: async (app, tool, args, call) => {
          const denied = await this.policy.authorize(call.req, "call", app.name);
          if (denied) throw denied;
          return observeCall(this.observer, {
            req: call.req,
            app: app.name,
            run: () => this.mcpApps.callTool(app, tool, args, call.signal),
            // A tool's error result is what HTTP callers of the tool get as 422 TOOL_ERROR.
            statusOf: (result) => (result.isError ? 422 : 200),
            gone: () => call.signal.aborted,
          });
        },
        adminEndpoints: this.adminEndpoints,
        builtinEndpoints: new Set(Object.keys(builtinTasks)),
      },
      { ...options, maxRequestBodySize: this.bodyLimit },
    );
    this.mcpServer = endpoint;
    return endpoint;
  }

  protected override handleRaw(req: IncomingMessage, res: ServerResponse): boolean {
    // `/console/...` is the console's, not an app's ("console" is a reserved app name).
    if (this.consoleOn && isConsolePath(req.url)) return false;
    // `/docs/...` is the API reference's (swagger-ui's files, its document): "docs" is reserved too.
    if (this.docsServed && isDocsPath(req.url)) return false;
    return this.forwarder.handle(req, res);
  }

  /** The gateway's own document with every registered app's operations first. */
  protected override openApiDocument(): OpenApiDocument {
    this.appsOpenApi ??= new AppsOpenApi(this.table, {
      security: { callToken: this.policy.hasCallToken, adminToken: this.policy.hasAdminToken },
      adminEndpoints: this.adminEndpoints,
      builtins: new Set(Object.keys(builtinTasks)),
    });
    return this.appsOpenApi.document(super.openApiDocument());
  }

  protected override heartbeatDetails(): unknown {
    return {
      apps: this.table.size,
      revision: this.table.revision,
      instances: this.checker?.size ?? null,
    };
  }

  /** The health checker (undefined when checks are off): tests and tools may run a check now. */
  get healthChecker(): HealthChecker | undefined {
    return this.checker;
  }

  /** This replica's view of app `name`'s instances. */
  instancesOf(name: string): InstanceInfo[] {
    return this.fleet.apps.get(name)?.instances.map((instance) => instance.info()) ?? [];
  }

  /** The app as stored, with the instances' health as this replica sees it. */
  private withHealth(app: AppRecord): AppRecord {
    const instances = this.fleet.apps.get(app.name)?.instances;
    return instances ? { ...app, instances: instances.map((i) => i.info()) } : app;
  }

  /** The app with `instance` joined, or INSTANCE_MISMATCH when it publishes other endpoints. */
  private joined(current: AppRecord, record: AppRecord, instance: InstanceInfo): AppRecord {
    // An instance whose schemas could not be read (slow, briefly down) joins on the app's.
    if (!described(record.kind)) return withInstance(current, instance);
    // The app takes the new record when this instance is its only one (registered again), or
    // when the app has no schemas itself (its first instance was not up when it registered).
    const alone = instancesOf(current).every((i) => i.url === instance.url);
    if (alone || !described(current.kind)) {
      return withInstance({ ...record, instances: instancesOf(current) }, instance);
    }
    if (!sameEndpoints(current.endpoints, record.endpoints)) {
      const difference = endpointDifference(current.endpoints, record.endpoints);
      throw new InstanceMismatchError(
        `Instance ${clipText(instance.url)} of app "${current.name}" publishes other endpoints than the app (missing: ${list(difference.missing)}; extra: ${list(difference.extra)}; changed: ${list(difference.changed)}). Register it with mode "replace" to change the app's endpoints.`,
        { data: { name: current.name, url: instance.url, ...difference } },
      );
    }
    return withInstance(current, instance);
  }

  /** An instance's health changed on this replica: list it again and tell `/events`. */
  private healthChanged(app: AppInstances, instance: Instance): void {
    this.table.touch(app.name);
    this.events.sendFrame(healthFrame(app.name, instance.info(), this.table.revision));
  }

  /**
   * A check saw a new `server_id` (the instance restarted, maybe with other endpoints), or an
   * app registered without schemas came back up: fetch its endpoints again and publish
   * `app_updated` when they (or its server id) changed. Every replica may notice; the
   * compare-and-set and the "nothing changed" check make the second one a no-op.
   */
  private rediscover(app: AppInstances, instance: Instance, serverId: string | undefined): void {
    const key = `${app.name}\n${instance.url}`;
    if (this.rediscovering.has(key) || !this.registryInstance) return;
    this.rediscovering.add(key);
    const registry = this.registryInstance;
    void (async () => {
      // An MCP app (or one registered as such while it was down) is asked at its MCP path only.
      const mcpPath = this.table.get(app.name)?.mcp;
      const found = await discover(this.upstreams, instance.url, {
        ...(mcpPath !== undefined ? { mcpPath } : {}),
        timeout: this.discoveryTimeout,
        maxBytes: this.discoveryMaxBytes,
        via: this.policy.via,
      });
      // The heartbeat's id is what the checks compare: store that one.
      const id = serverId ?? found.serverId;
      const change = await editApp(registry, app.name, (current) => {
        const stored = current && instancesOf(current).find((i) => i.url === instance.url);
        if (!current || !stored) return undefined;
        const endpoints = found.endpoints ?? current.endpoints;
        const kind = found.endpoints ? found.kind : current.kind;
        if (stored.server_id === id && kind === current.kind) {
          if (sameEndpoints(endpoints, current.endpoints)) return undefined;
        }
        const updated = { ...stored, ...(id !== undefined ? { server_id: id } : {}) };
        const mcp = found.mcpPath ?? current.mcp;
        const next = { ...current, endpoints, kind, ...(mcp !== undefined ? { mcp } : {}) };
        return { put: withInstance(next, updated) };
      });
      if (change) await this.feed.waitFor(change.revision, APPLY_MS);
    })()
      .catch(() => undefined) // the next check tries again
      .finally(() => this.rediscovering.delete(key));
  }

  /** A lease ran out (and was claimed): remove its instance if it is still there with a lease. */
  private async expireInstance(name: string, url: string): Promise<void> {
    const registry = this.registry;
    const leased = (await registry.get(name))?.app.instances?.find((i) => i.url === url);
    if (leased?.lease_ms === undefined) return;
    // Registered again since the claim (a new lease comes before its instance): keep it. The
    // renewal is one the service itself would make.
    if (await registry.renewLease(name, url, leased.lease_ms)) return;
    await editApp(registry, name, (current) => {
      const stored = current && instancesOf(current).find((i) => i.url === url);
      if (!current || stored?.lease_ms === undefined) return undefined;
      const rest = withoutInstance(current, url);
      return rest ? { put: rest } : { remove: true };
    });
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

/** Whether an app's endpoints come from a description (Portico or OpenAPI), not from nothing. */
function described(kind: AppRecord["kind"]): boolean {
  return kind === "portico" || kind === "openapi" || kind === "mcp";
}

function list(names: string[]): string {
  return names.length === 0 ? "none" : names.map((n) => clipText(n)).join(", ");
}

/** A health check path: absolute, no scheme or host (it is appended to each instance's URL). */
function checkPath(path: string): string {
  if (!/^\/[^\s]*$/.test(path) || path.startsWith("//")) {
    throw new InvalidOptionsError(
      `health_path must be a path starting with "/", got ${clipText(path)}`,
      {
        data: { health_path: clipText(path) },
      },
    );
  }
  return path;
}

function balanceStrategy(value: unknown): BalanceStrategy {
  if (value === undefined) return "least-in-flight";
  if (value === "least-in-flight" || value === "round-robin") return value;
  throw new InvalidOptionsError(`balance must be "least-in-flight" or "round-robin"`, {
    data: { balance: value },
  });
}

function passiveOptions(options: PassiveOptions): PassiveOptions {
  for (const [key, value] of Object.entries(options)) {
    if (!Number.isInteger(value) || value < 1 || value > 2 ** 31 - 1) {
      throw new InvalidOptionsError(`passiveHealth.${key} must be a positive integer`, {
        data: { [key]: value },
      });
    }
  }
  return options;
}

/** A comma-separated list from the environment, or undefined when the variable is unset. */
function envList(variable: string): string[] | undefined {
  const value = process.env[variable];
  return value === undefined ? undefined : value.split(",").filter((e) => e.trim() !== "");
}
