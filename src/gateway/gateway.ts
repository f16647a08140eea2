/**
 * Gateway: a Service that apps register with at run time and that forwards `/<app>/<path>` to
 * them. At registration it fetches the app's `detailed_endpoints` itself (bounded, never blocking
 * other requests), so every client can build a full proxy without the registering client's help.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { request } from "undici";
import type { EndpointDescriptor } from "../contract/endpoint.js";
import { BUILTIN_WIRE_NAMES } from "../client/create-client.js";
import type { ClientInit } from "../client/connection-manager.js";
import { AppNotRegisteredError, ServiceStoppingError } from "../errors.js";
import { MemoryRegistry } from "../registry/memory-registry.js";
import type { AppRecord, Registry } from "../registry/registry.js";
import { Service } from "../service/service.js";
import type { ServiceOptions } from "../service/service.js";
import type { ServeOptions, ServedService } from "../service/serve.js";
import { JsonText } from "../service/json-text.js";
import { assertAppName, normalizeAppUrl } from "./app-name.js";
import { Forwarder } from "./forwarder.js";
import { createGatewayClient } from "./gateway-client.js";
import { gatewayTasks } from "./tasks.js";
import type { AppInfo } from "./tasks.js";

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
  private listCache: JsonText | undefined;
  /** The latest registration of each name still discovering; an older one finishing later is dropped. */
  private readonly pending = new Map<string, object>();
  /** Registry writes, one after another, in the order they were committed in memory. */
  private writes: Promise<unknown> = Promise.resolve();

  constructor(options: GatewayOptions = {}) {
    super(options);
    this.registry = options.registry ?? new MemoryRegistry();
    this.discoveryTimeout = options.discoveryTimeout ?? 5_000;
    this.forwarder = new Forwarder({
      upstreamTimeout: options.upstreamTimeout ?? 30_000,
      connections: options.connectionsPerApp ?? 128,
    });
    this.addEndpoint(gatewayTasks.register_app, ({ name, url }) => this.registerApp(name, url));
    this.addEndpoint(gatewayTasks.unregister_app, ({ name }) => this.unregisterApp(name));
    this.addEndpoint(gatewayTasks.list_apps, () => ({ apps: [...this.apps.keys()] }));
    this.addEndpoint(gatewayTasks.list_apps_with_schemas, ({ names }) => this.appList(names));
  }

  /**
   * Registers (or replaces) an app and discovers its endpoints. Route and record change together,
   * once discovery is done; when a later registration or unregistration of the same name started
   * meanwhile, that later one decides and this one changes nothing.
   */
  async registerApp(name: string, url: string): Promise<AppInfo & { discovered: boolean }> {
    assertAppName(name);
    const normalized = normalizeAppUrl(url);
    const ticket = {};
    this.pending.set(name, ticket);
    const endpoints = await this.discover(normalized);
    const record: AppRecord = { name, url: normalized, endpoints: endpoints ?? {} };
    if (this.pending.get(name) === ticket) {
      this.pending.delete(name);
      if (this.state === "Stopping") throw new ServiceStoppingError("The gateway is shutting down");
      this.forwarder.set(name, normalized);
      this.apps.set(name, Buffer.from(JSON.stringify(record)));
      this.listCache = undefined;
      await this.persist(() => this.registry.put(record));
    }
    return { ...record, discovered: endpoints !== undefined };
  }

  /** Removes an app; its route disappears at once, and registrations of it in progress are dropped. */
  async unregisterApp(name: string): Promise<{ name: string; removed: boolean }> {
    if (!this.apps.has(name)) {
      throw new AppNotRegisteredError(`App "${name}" is not registered`, { data: { name } });
    }
    this.pending.delete(name);
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
    await this.forwarder.close();
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

  /**
   * The app's own endpoints (built-ins left out), or undefined when it cannot say. One deadline
   * bounds connecting, headers and body; it never holds up any other request.
   */
  private async discover(url: string): Promise<Record<string, EndpointDescriptor> | undefined> {
    // A timer cleared on completion rather than AbortSignal.timeout, which keeps every signal
    // (and what listens to it) alive until its deadline: a thousand registrations left that
    // much garbage behind, and forwarding paid for it in collection time.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), this.discoveryTimeout);
    try {
      const res = await request(`${url}/detailed_endpoints`, {
        method: "POST",
        reset: true, // one-off: leave no idle socket behind
        signal: controller.signal,
      });
      const body = (await res.body.json().catch(() => undefined)) as
        { endpoints?: Record<string, EndpointDescriptor> } | undefined;
      if (res.statusCode !== 200 || !body?.endpoints || typeof body.endpoints !== "object") {
        return undefined;
      }
      const parsed =
        gatewayTasks.list_apps_with_schemas.output.shape.apps.element.shape.endpoints.safeParse(
          Object.fromEntries(
            Object.entries(body.endpoints).filter(([n]) => !BUILTIN_WIRE_NAMES.has(n)),
          ),
        );
      return parsed.success ? parsed.data : undefined;
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }
}
