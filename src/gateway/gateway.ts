/**
 * Gateway: a Service that apps register with at run time and that forwards `/<app>/<path>` to
 * them. At registration it fetches the app's `detailed_endpoints` itself (bounded, never blocking
 * other requests), so every client can build a full proxy without the registering client's help.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ClientInit } from "../client/connection-manager.js";
import { AppNotRegisteredError, ServiceStoppingError } from "../errors.js";
import { MemoryRegistry } from "../registry/memory-registry.js";
import type { AppRecord, Registry } from "../registry/registry.js";
import { Service } from "../service/service.js";
import type { ServiceOptions } from "../service/service.js";
import type { ServeOptions, ServedService } from "../service/serve.js";
import { JsonText } from "../service/json-text.js";
import { clipText } from "../net/url.js";
import { assertAppName, normalizeAppUrl } from "./app-name.js";
import { Forwarder } from "./forwarder.js";
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
  /** Where registrations are kept (in memory by default). */
  registry?: Registry;
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
}

const LIST_OPEN = Buffer.from('{"apps":[');
const LIST_SEPARATOR = Buffer.from(",");
const LIST_CLOSE = Buffer.from("]}");

function listText(apps: Iterable<Buffer>): JsonText {
  const parts: Buffer[] = [LIST_OPEN];
  for (const app of apps) parts.push(app, LIST_SEPARATOR);
  if (parts.length > 1) parts.pop();
  parts.push(LIST_CLOSE);
  return new JsonText(Buffer.concat(parts));
}

/** The gateway service. */
export class Gateway extends Service {
  static override tasks = gatewayTasks;
  static override moduleUrl: string | undefined = import.meta.url;
  static override readonly isGateway = true as const;

  private readonly registry: Registry;
  private readonly forwarder: Forwarder;
  /**
   * Registered apps as their JSON, in Buffers: a thousand apps with twenty schemas each are
   * megabytes that live outside the JavaScript heap, so garbage collection never walks them and
   * forwarding stays as fast with a thousand apps as with one.
   */
  private readonly apps = new Map<string, Buffer>();
  private readonly discoveryTimeout: number;
  private readonly discoveryMaxBytes: number;
  private readonly guard: UpstreamGuard;
  private readonly upstreams: Upstreams;
  private listCache: JsonText | undefined;
  /** The latest registration of each name still discovering; an older one finishing later is dropped. */
  private readonly pending = new Map<string, object>();
  /** Registry writes, one after another, in the order they were committed in memory. */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(options: GatewayOptions = {}) {
    super(options);
    this.registry = options.registry ?? new MemoryRegistry();
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
    });
    this.addEndpoint(gatewayTasks.list_apps, () => ({ apps: [...this.apps.keys()] }));
    this.addEndpoint(gatewayTasks.list_apps_with_schemas, ({ names }) => this.appList(names));
  }

  /**
   * Registers (or replaces) an app and discovers its endpoints. Route and record change together,
   * once discovery is done; when a later registration or unregistration of the same name started
   * meanwhile, that later one decides and this one changes nothing.
   */
  async registerApp(name: string, url: string): Promise<RegisteredApp> {
    assertAppName(name);
    const normalized = normalizeAppUrl(url);
    const ticket = {};
    this.pending.set(name, ticket);
    let found: Discovery;
    try {
      await this.guard.check(new URL(normalized).hostname);
      found = await discover(this.upstreams, normalized, {
        timeout: this.discoveryTimeout,
        maxBytes: this.discoveryMaxBytes,
        via: this.policy.via,
      });
    } catch (error) {
      if (this.pending.get(name) === ticket) this.pending.delete(name);
      throw error;
    }
    const endpoints = found.endpoints;
    const record: AppRecord = { name, url: normalized, endpoints: endpoints ?? {} };
    const reply: RegisteredApp = { ...record, discovered: endpoints !== undefined };
    if (found.error)
      reply.discovery_error = { code: found.error.code, message: found.error.message };
    if (this.pending.get(name) === ticket) {
      this.pending.delete(name);
      if (this.state === "Stopping") throw new ServiceStoppingError("The gateway is shutting down");
      this.forwarder.set(name, normalized);
      this.apps.set(name, Buffer.from(JSON.stringify(record)));
      this.listCache = undefined;
      await this.persist(() => this.registry.put(record));
    }
    return reply;
  }

  /**
   * Removes an app; its route disappears at once, and registrations of it in progress are dropped
   * (the later operation wins, even over a first registration still discovering).
   */
  async unregisterApp(name: string): Promise<{ name: string; removed: boolean }> {
    const discovering = this.pending.delete(name);
    if (!this.apps.has(name)) {
      if (discovering) return { name, removed: true };
      const shown = clipText(name);
      throw new AppNotRegisteredError(`App "${shown}" is not registered`, {
        data: { name: shown },
      });
    }
    this.apps.delete(name);
    this.listCache = undefined;
    this.forwarder.delete(name);
    await this.persist(() => this.registry.delete(name));
    return { name, removed: true };
  }

  /** Loads the registry's apps (a durable backend survives restarts), then listens. */
  override async serve(options?: ServeOptions): Promise<ServedService> {
    for (const record of await this.registry.list()) {
      this.forwarder.set(record.name, record.url);
      this.apps.set(record.name, Buffer.from(JSON.stringify(record)));
    }
    this.listCache = undefined;
    return super.serve(options);
  }

  override async close(): Promise<void> {
    await super.close();
    this.forwarder.close();
    await this.upstreams.close();
    await this.registry.close?.();
  }

  protected static override async createClient(init: ClientInit): Promise<unknown> {
    return createGatewayClient(init);
  }

  protected override handleRaw(req: IncomingMessage, res: ServerResponse): boolean {
    return this.forwarder.handle(req, res);
  }

  protected override heartbeatDetails(): unknown {
    return { apps: this.apps.size };
  }

  /** `{"apps": [...]}` of every app (cached until the next change), or of the apps named. */
  private appList(names: string[] | undefined): JsonText {
    if (names === undefined) return (this.listCache ??= listText(this.apps.values()));
    return listText([...new Set(names)].flatMap((name) => this.apps.get(name) ?? []));
  }

  /** Queues a registry write behind the earlier ones, so a remote backend sees them in order. */
  private persist<T>(write: () => T | Promise<T>): Promise<T> {
    const done = this.writes.then(write);
    this.writes = done.catch(() => undefined);
    return done;
  }
}

/** A comma-separated list from the environment, or undefined when the variable is unset. */
function envList(variable: string): string[] | undefined {
  const value = process.env[variable];
  return value === undefined ? undefined : value.split(",").filter((e) => e.trim() !== "");
}
