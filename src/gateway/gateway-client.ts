/**
 * GatewayClient: the client of a Gateway. Its view of the registered apps comes from the gateway
 * (not from what this client registered), is loaded at connect, refreshed on demand, and refreshed
 * once automatically when an unknown app is called. `gw.<app>` and `gw.app(name)` are app proxies.
 */
import type { TaskRecord } from "../contract/task.js";
import { ConnectionManager } from "../client/connection-manager.js";
import type { ClientInit } from "../client/connection-manager.js";
import {
  ENDPOINT_SPECS,
  attachEndpoints,
  specsFromDescriptors,
  specsFromTasks,
} from "../client/create-client.js";
import { createEndpointFunction } from "../client/endpoint-method.js";
import type { EndpointFunction, EndpointSpec } from "../client/endpoint-method.js";
import type { CallOptions } from "../client/transport.js";
import type { ServiceClient, TasksOf } from "../client/types.js";
import { AppNotRegisteredError, EndpointNotFoundError, PorticoError } from "../errors.js";
import { createAppClient } from "./app-client.js";
import type { AppCallOptions, AppClient, AppInvoker } from "./app-client.js";
import { assertAppName, isValidAppName } from "./app-name.js";
import { gatewayTasks } from "./tasks.js";
import type { AppInfo } from "./tasks.js";

interface AppEntry {
  info: AppInfo;
  specs: Map<string, EndpointSpec>;
  functions: Map<string, EndpointFunction>;
}

/** Specs lent by a typed client at registration; they describe the app at `url` only. */
interface LocalSpecs {
  url: string;
  specs: EndpointSpec[];
}

/** What `registerApp` resolves with: the app as stored, and whether its schemas were fetched. */
type RegisteredApp = AppInfo & { discovered: boolean };

/** Members of a gateway client besides the service lifecycle methods. */
export interface GatewayClientMembers {
  /** Registers `name` at `url`; a typed `client` lends its zod schemas to this client's proxy. */
  registerApp(name: string, url: string | URL, client?: ConnectionManager): Promise<RegisteredApp>;
  /** Removes an app from the gateway (for every client). */
  unregisterApp(name: string): Promise<void>;
  /** Every app the gateway knows, with schemas; also refreshes this client's view. */
  registeredApps(): Promise<AppInfo[]>;
  /** Names of the apps the gateway knows. */
  listApps(): Promise<string[]>;
  /** Every app the gateway knows, with schemas; also refreshes this client's view. */
  listAppsWithSchemas(): Promise<AppInfo[]>;
  /** Reloads this client's view of the gateway's apps. */
  refresh(): Promise<AppInfo[]>;
  /** Same as `refresh()` (the seed's name). */
  reconnect(): Promise<AppInfo[]>;
  /** The proxy of an app, typed by its service class: `gw.app<typeof EchoService>("echoer")`. */
  app<S = unknown>(name: string): AppClient<TasksOf<S>>;
}

/** A gateway client: lifecycle methods, the gateway's endpoints, and one proxy per app as `gw.<name>`. */
export type GatewayClient<TTasks extends TaskRecord = typeof gatewayTasks> = ServiceClient<TTasks> &
  GatewayClientMembers & { readonly [app: string]: AppClient };

class GatewayConnection extends ConnectionManager implements GatewayClientMembers, AppInvoker {
  private readonly apps = new Map<string, AppEntry>();
  private readonly proxies = new Map<string, AppClient>();
  private readonly localSpecs = new Map<string, LocalSpecs>();
  private inflight: Promise<AppInfo[]> | undefined;
  private readonly loading = new Map<string, Promise<AppEntry | undefined>>();
  private readonly gateway: Record<keyof typeof gatewayTasks, EndpointFunction>;

  constructor(init: ClientInit) {
    super(init);
    const specs = specsFromTasks(gatewayTasks);
    this.gateway = Object.fromEntries(
      specs.map((s) => [s.name, createEndpointFunction(this.transport, s)]),
    ) as Record<keyof typeof gatewayTasks, EndpointFunction>;
  }

  async registerApp(
    name: string,
    url: string | URL,
    client?: ConnectionManager,
  ): Promise<RegisteredApp> {
    assertAppName(name);
    const info = (await this.gateway.register_app({ name, url: String(url) })) as RegisteredApp;
    const local = (client as { [ENDPOINT_SPECS]?: EndpointSpec[] } | undefined)?.[ENDPOINT_SPECS];
    if (local) this.localSpecs.set(name, { url: info.url, specs: local });
    else this.localSpecs.delete(name);
    this.store(info);
    return info;
  }

  async unregisterApp(name: string): Promise<void> {
    try {
      await this.gateway.unregister_app({ name });
    } finally {
      this.forget(name);
    }
  }

  async listApps(): Promise<string[]> {
    return ((await this.gateway.list_apps()) as { apps: string[] }).apps;
  }

  listAppsWithSchemas(): Promise<AppInfo[]> {
    return this.refresh();
  }

  registeredApps(): Promise<AppInfo[]> {
    return this.refresh();
  }

  reconnect(): Promise<AppInfo[]> {
    return this.refresh();
  }

  refresh(): Promise<AppInfo[]> {
    // Concurrent callers share one request.
    this.inflight ??= (async () => {
      try {
        const { apps } = (await this.gateway.list_apps_with_schemas()) as { apps: AppInfo[] };
        const known = new Set(apps.map((a) => a.name));
        for (const name of this.apps.keys()) if (!known.has(name)) this.forget(name);
        for (const info of apps) this.store(info);
        return apps;
      } finally {
        this.inflight = undefined;
      }
    })();
    return this.inflight;
  }

  app<S = unknown>(name: string): AppClient<TasksOf<S>> {
    let proxy = this.proxies.get(name);
    if (!proxy) {
      proxy = createAppClient(this, name);
      this.proxies.set(name, proxy);
    }
    return proxy as AppClient<TasksOf<S>>;
  }

  async invoke(
    app: string,
    endpoint: string,
    input: unknown,
    options?: CallOptions,
  ): Promise<unknown> {
    let entry = this.apps.get(app);
    let fn = entry && this.resolve(entry, endpoint);
    if (!fn) {
      // An app this client has not loaded yet, or an endpoint its loaded schemas lack (the app
      // may have been re-registered): ask the gateway about this one app, once.
      entry = await this.load(app);
      if (!entry) {
        throw new AppNotRegisteredError(`App "${app}" is not registered`, { data: { name: app } });
      }
      fn = this.resolve(entry, endpoint);
      if (!fn) {
        throw new EndpointNotFoundError(`App "${app}" has no endpoint "${endpoint}"`, {
          data: { app, endpoint, endpoints: Object.keys(entry.info.endpoints) },
        });
      }
    }
    try {
      return await fn(input, options);
    } catch (error) {
      if (error instanceof PorticoError && error.code === "APP_NOT_REGISTERED") this.forget(app);
      throw error;
    }
  }

  /** Loads one app's info from the gateway (concurrent callers share the request). */
  private load(app: string): Promise<AppEntry | undefined> {
    let pending = this.loading.get(app);
    if (!pending) {
      pending = (async () => {
        try {
          const { apps } = (await this.gateway.list_apps_with_schemas({ names: [app] })) as {
            apps: AppInfo[];
          };
          const info = apps.find((a) => a.name === app);
          if (!info) {
            this.forget(app);
            return undefined;
          }
          return this.store(info);
        } finally {
          this.loading.delete(app);
        }
      })();
      this.loading.set(app, pending);
    }
    return pending;
  }

  callApp(
    app: string,
    path: string,
    body: unknown,
    options: AppCallOptions = {},
  ): Promise<unknown> {
    const method = options.method ?? "POST";
    const rest = path.startsWith("/") ? path : `/${path}`;
    return this.transport.call(
      method,
      `/${app}${rest}`,
      method === "GET" ? undefined : body,
      options,
    );
  }

  private resolve(entry: AppEntry, endpoint: string): EndpointFunction | undefined {
    let fn = entry.functions.get(endpoint);
    if (fn) return fn;
    const spec = entry.specs.get(endpoint);
    // An app that published no schemas still gets raw forwarding of any endpoint name.
    if (!spec && entry.specs.size > 0) return undefined;
    fn = createEndpointFunction(
      this.transport,
      spec ?? { name: endpoint, path: `/${endpoint}`, method: "POST" },
      `/${entry.info.name}`,
    );
    entry.functions.set(endpoint, fn);
    return fn;
  }

  private store(info: AppInfo): AppEntry {
    let local = this.localSpecs.get(info.name);
    if (local && local.url !== info.url) {
      // Re-registered elsewhere at another URL: the typed client describes some other app.
      this.localSpecs.delete(info.name);
      local = undefined;
    }
    const list = local?.specs ?? specsFromDescriptors(info.endpoints);
    const entry: AppEntry = {
      info,
      specs: new Map(list.map((s) => [s.name, s])),
      functions: new Map(),
    };
    this.apps.set(info.name, entry);
    return entry;
  }

  private forget(name: string): void {
    this.apps.delete(name);
    this.localSpecs.delete(name);
  }
}

/**
 * Connects a gateway client. It asks for the app names only (a handshake that stays cheap with
 * thousands of apps); each app's schemas are loaded on its first call, or all at once by
 * `refresh()`.
 */
export async function createGatewayClient(init: ClientInit): Promise<GatewayClient> {
  const connection = new GatewayConnection(init);
  attachEndpoints(connection, specsFromTasks(gatewayTasks));
  try {
    await connection.listApps();
  } catch (error) {
    await connection.close();
    throw error;
  }
  return new Proxy(connection, {
    get(target, prop, receiver) {
      if (typeof prop !== "string" || prop in target || !isValidAppName(prop)) {
        return Reflect.get(target, prop, receiver);
      }
      return target.app(prop);
    },
  }) as unknown as GatewayClient;
}
