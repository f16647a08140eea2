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
import type { AppInfo, RegisteredApp } from "./tasks.js";

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

/** Specs of the gateway's own endpoints, built once (their zod validators are reused). */
const GATEWAY_SPECS = specsFromTasks(gatewayTasks);

// Members that are not public API start with "_": app names start with a letter, so no app can
// ever shadow them through `gw.<name>` (the public ones are in RESERVED_APP_NAMES).
class GatewayConnection extends ConnectionManager implements GatewayClientMembers, AppInvoker {
  private readonly _apps = new Map<string, AppEntry>();
  private readonly _proxies = new Map<string, AppClient>();
  private readonly _localSpecs = new Map<string, LocalSpecs>();
  private _inflight: Promise<AppInfo[]> | undefined;
  private readonly _loading = new Map<string, Promise<AppEntry | undefined>>();
  private readonly _gateway: Record<keyof typeof gatewayTasks, EndpointFunction>;

  constructor(init: ClientInit) {
    super(init);
    // The gateway's own endpoints become methods (`gw.register_app(...)`), which the
    // camelCase members call in turn.
    attachEndpoints(this, GATEWAY_SPECS);
    this._gateway = this as unknown as Record<keyof typeof gatewayTasks, EndpointFunction>;
  }

  async registerApp(
    name: string,
    url: string | URL,
    client?: ConnectionManager,
  ): Promise<RegisteredApp> {
    assertAppName(name);
    const info = (await this._gateway.register_app({ name, url: String(url) })) as RegisteredApp;
    const local = (client as { [ENDPOINT_SPECS]?: EndpointSpec[] } | undefined)?.[ENDPOINT_SPECS];
    if (local) this._localSpecs.set(name, { url: info.url, specs: local });
    else this._localSpecs.delete(name);
    this._store(info);
    return info;
  }

  async unregisterApp(name: string): Promise<void> {
    try {
      await this._gateway.unregister_app({ name });
    } finally {
      this._forget(name);
    }
  }

  async listApps(): Promise<string[]> {
    return ((await this._gateway.list_apps()) as { apps: string[] }).apps;
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
    this._inflight ??= (async () => {
      try {
        const { apps } = (await this._gateway.list_apps_with_schemas()) as { apps: AppInfo[] };
        const known = new Set(apps.map((a) => a.name));
        for (const name of this._apps.keys()) if (!known.has(name)) this._forget(name);
        for (const info of apps) this._store(info);
        return apps;
      } finally {
        this._inflight = undefined;
      }
    })();
    return this._inflight;
  }

  app<S = unknown>(name: string): AppClient<TasksOf<S>> {
    let proxy = this._proxies.get(name);
    if (!proxy) {
      proxy = createAppClient(this, name);
      this._proxies.set(name, proxy);
    }
    return proxy as AppClient<TasksOf<S>>;
  }

  async _invoke(
    app: string,
    endpoint: string,
    input: unknown,
    options?: CallOptions,
  ): Promise<unknown> {
    let entry = this._apps.get(app);
    let fn = entry && this._resolve(entry, endpoint);
    if (!fn) {
      // An app this client has not loaded yet, or an endpoint its loaded schemas lack (the app
      // may have been re-registered): ask the gateway about this one app, once.
      entry = await this._load(app);
      if (!entry) {
        throw new AppNotRegisteredError(`App "${app}" is not registered`, { data: { name: app } });
      }
      fn = this._resolve(entry, endpoint);
      if (!fn) {
        throw new EndpointNotFoundError(`App "${app}" has no endpoint "${endpoint}"`, {
          data: { app, endpoint, endpoints: Object.keys(entry.info.endpoints) },
        });
      }
    }
    try {
      return await fn(input, options);
    } catch (error) {
      if (error instanceof PorticoError && error.code === "APP_NOT_REGISTERED") this._forget(app);
      throw error;
    }
  }

  /** Loads one app's info from the gateway (concurrent callers share the request). */
  private _load(app: string): Promise<AppEntry | undefined> {
    let pending = this._loading.get(app);
    if (!pending) {
      pending = (async () => {
        try {
          const { apps } = (await this._gateway.list_apps_with_schemas({ names: [app] })) as {
            apps: AppInfo[];
          };
          const info = apps.find((a) => a.name === app);
          if (!info) {
            this._forget(app);
            return undefined;
          }
          return this._store(info);
        } finally {
          this._loading.delete(app);
        }
      })();
      this._loading.set(app, pending);
    }
    return pending;
  }

  _callApp(
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

  private _resolve(entry: AppEntry, endpoint: string): EndpointFunction | undefined {
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

  private _store(info: AppInfo): AppEntry {
    let local = this._localSpecs.get(info.name);
    if (local && local.url !== info.url) {
      // Re-registered elsewhere at another URL: the typed client describes some other app.
      this._localSpecs.delete(info.name);
      local = undefined;
    }
    const list = local?.specs ?? specsFromDescriptors(info.endpoints);
    const entry: AppEntry = {
      info,
      specs: new Map(list.map((s) => [s.name, s])),
      functions: new Map(),
    };
    this._apps.set(info.name, entry);
    return entry;
  }

  private _forget(name: string): void {
    this._apps.delete(name);
    this._localSpecs.delete(name);
  }
}

/**
 * Connects a gateway client. It asks for the app names only (a handshake that stays cheap with
 * thousands of apps); each app's schemas are loaded on its first call, or all at once by
 * `refresh()`.
 */
export async function createGatewayClient(init: ClientInit): Promise<GatewayClient> {
  const connection = new GatewayConnection(init);
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
