/**
 * Gateway: a Service that apps register with at run time and that forwards `/<app>/<path>` to
 * them. At registration it fetches the app's `detailed_endpoints` itself (bounded, never blocking
 * other requests), so every client can build a full proxy without the registering client's help.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EndpointDescriptor } from "../contract/endpoint.js";
import { BUILTIN_WIRE_NAMES } from "../client/create-client.js";
import type { ClientInit } from "../client/connection-manager.js";
import { AppNotRegisteredError, InvalidOptionsError } from "../errors.js";
import type { LaunchOptions } from "../launcher/launch.js";
import { MemoryRegistry } from "../registry/memory-registry.js";
import type { AppRecord, Registry } from "../registry/registry.js";
import { Service } from "../service/service.js";
import type { ClientOf, ServiceClass, ServiceOptions } from "../service/service.js";
import type { ServeOptions, ServedService } from "../service/serve.js";
import { assertAppName, normalizeAppUrl } from "./app-name.js";
import { Forwarder } from "./forwarder.js";
import { createGatewayClient } from "./gateway-client.js";
import { gatewayTasks } from "./tasks.js";
import type { AppInfo } from "./tasks.js";

/** Options of a gateway. */
export interface GatewayOptions extends ServiceOptions {
  /** Where registrations are kept (in memory by default). */
  registry?: Registry;
  /** Milliseconds an app may take to answer a forwarded call before 504 (30 s). */
  upstreamTimeout?: number;
  /** Milliseconds to fetch an app's `detailed_endpoints` at registration (5 s). */
  discoveryTimeout?: number;
  /** Sockets per app (128). */
  connectionsPerApp?: number;
}

/** The gateway service. */
export class Gateway extends Service {
  static override tasks = gatewayTasks;
  static override moduleUrl: string | undefined = import.meta.url;
  static override readonly isGateway = true as const;

  private readonly registry: Registry;
  private readonly forwarder: Forwarder;
  private readonly apps = new Map<string, AppRecord>();
  private readonly discoveryTimeout: number;
  private listCache: AppInfo[] | undefined;

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
    this.addEndpoint(gatewayTasks.list_apps_with_schemas, () => ({ apps: this.appList() }));
  }

  /** Registers (or replaces) an app and discovers its endpoints. */
  async registerApp(name: string, url: string): Promise<AppInfo & { discovered: boolean }> {
    assertAppName(name);
    const normalized = normalizeAppUrl(url);
    this.forwarder.set(name, normalized);
    const endpoints = await this.discover(name);
    const record: AppRecord = { name, url: normalized, endpoints: endpoints ?? {} };
    await this.registry.put(record);
    this.apps.set(name, record);
    this.listCache = undefined;
    return { ...record, discovered: endpoints !== undefined };
  }

  /** Removes an app; its route disappears at once. */
  async unregisterApp(name: string): Promise<{ name: string; removed: boolean }> {
    if (!this.apps.has(name)) {
      throw new AppNotRegisteredError(`App "${name}" is not registered`, { data: { name } });
    }
    this.apps.delete(name);
    this.listCache = undefined;
    this.forwarder.delete(name);
    await this.registry.delete(name);
    return { name, removed: true };
  }

  /** Loads the registry's apps (a durable backend survives restarts), then listens. */
  override async serve(options?: ServeOptions): Promise<ServedService> {
    for (const record of await this.registry.list()) {
      this.forwarder.set(record.name, record.url);
      this.apps.set(record.name, record);
    }
    this.listCache = undefined;
    return super.serve(options);
  }

  override async close(): Promise<void> {
    await super.close();
    await this.forwarder.close();
    await this.registry.close?.();
  }

  /**
   * Launches a gateway process. One worker only: registrations live in that process's memory
   * until a shared registry backend is configured.
   */
  static override async launch<S extends ServiceClass>(
    this: S,
    options: LaunchOptions = {},
  ): Promise<ClientOf<S>> {
    if ((options.numWorkers ?? 1) > 1) {
      throw new InvalidOptionsError(
        "A Gateway with the in-memory registry runs in one process: numWorkers must be 1",
      );
    }
    return super.launch.call(this, options) as Promise<ClientOf<S>>;
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

  private appList(): AppInfo[] {
    return (this.listCache ??= [...this.apps.values()]);
  }

  /** The app's own endpoints (built-ins left out), or undefined when it cannot say. */
  private async discover(name: string): Promise<Record<string, EndpointDescriptor> | undefined> {
    try {
      const res = await this.forwarder.request(name, {
        method: "POST",
        path: "/detailed_endpoints",
        headersTimeout: this.discoveryTimeout,
        bodyTimeout: this.discoveryTimeout,
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
    }
  }
}
