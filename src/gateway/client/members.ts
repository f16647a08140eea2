/**
 * The public shape of a gateway client: its members besides the service lifecycle methods, and
 * the client type with one app proxy per registered name.
 */
import type { ConnectionManager } from "../../client/connection-manager.js";
import type { ServiceClient, TasksOf } from "../../client/types.js";
import type { TaskRecord } from "../../contract/task.js";
import type { AppClient } from "../app-client.js";
import type { gatewayTasks } from "../tasks.js";
import type { AppInfo, RegisteredApp } from "../tasks.js";
import type { ChangeListener, GatewayChange } from "./change-hub.js";

/** Options of `registerApp` (the third argument; a client passed directly still works). */
export interface RegisterAppOptions {
  /** A typed client of the app: its schemas serve this client at once, before discovery. */
  client?: ConnectionManager;
  /** `replace` (the default): the app becomes this one instance; `add`: one more instance. */
  mode?: "replace" | "add";
  /** Keep the instance only while its lease is renewed within this many ms. */
  leaseMs?: number;
  /** URL of the app's OpenAPI document. */
  openapi?: string | URL;
  /** Path a non-Portico app answers with 2xx/3xx when healthy. */
  healthPath?: string;
  /** `mcp`: the URL is an MCP server (detected when absent). */
  kind?: "mcp";
}

/** Members of a gateway client besides the service lifecycle methods. */
export interface GatewayClientMembers {
  /**
   * Registers `name` at `url` (or, with `mode: "add"`, one more instance of it); a typed
   * `client` lends its zod schemas to this client's proxy.
   */
  registerApp(
    name: string,
    url: string | URL,
    options?: ConnectionManager | RegisterAppOptions,
  ): Promise<RegisteredApp>;
  /** Removes an app from the gateway (for every client), or with `url` one instance of it. */
  unregisterApp(name: string, options?: { url?: string | URL }): Promise<void>;
  /**
   * Every app the gateway knows, with schemas: from the pushed view with no call while it is live
   * and holds every app, else asked of the gateway (which also refreshes the view).
   */
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
  /**
   * Calls `listener` with every change pushed by the gateway, in revision order; returns its
   * removal. Nothing comes with `subscribe: false`.
   * @example const stop = gw.on("change", (c) => console.log(c.type, c.revision));
   */
  on(event: "change", listener: ChangeListener): () => void;
  /** Removes a `change` listener. */
  off(event: "change", listener: ChangeListener): void;
  /**
   * The changes pushed from now on, buffered for this iterator; it ends when the client closes.
   * @example for await (const change of gw.changes()) console.log(change);
   */
  changes(): AsyncIterableIterator<GatewayChange>;
}

/** A gateway client: lifecycle methods, the gateway's endpoints, and one proxy per app as `gw.<name>`. */
export type GatewayClient<TTasks extends TaskRecord = typeof gatewayTasks> = ServiceClient<TTasks> &
  GatewayClientMembers & { readonly [app: string]: AppClient };
