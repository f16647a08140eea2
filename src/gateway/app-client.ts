/**
 * AppClient: the proxy of one registered app on a gateway client. Its methods are the app's
 * endpoints, sent through the gateway. Reading a property never touches the network; the first
 * call resolves the app (refreshing the gateway client's view once when the app is unknown).
 */
import type { TaskRecord } from "../contract/task.js";
import type { CallOptions } from "../client/transport.js";
import type { EndpointMethods } from "../client/types.js";

/** Method options of a raw call through the gateway. */
export interface AppCallOptions extends CallOptions {
  method?: "GET" | "POST" | "PUT" | "DELETE" | "PATCH";
}

/** What an AppClient delegates to (the gateway client). */
export interface AppInvoker {
  _invoke(app: string, endpoint: string, input: unknown, options?: CallOptions): Promise<unknown>;
  _callApp(app: string, path: string, body: unknown, options?: AppCallOptions): Promise<unknown>;
}

/** Members every app proxy has besides its endpoint methods. */
export interface AppClientMembers {
  /** The app's registered name. */
  readonly name: string;
  /** Raw call of any path of the app through the gateway, e.g. `call("items?limit=5", undefined, { method: "GET" })`. */
  call(path: string, body?: unknown, options?: AppCallOptions): Promise<unknown>;
}

/** Proxy of one app: its endpoint methods (typed from `TTasks`) plus `name` and `call`. */
export type AppClient<TTasks extends TaskRecord = TaskRecord> = EndpointMethods<TTasks> &
  AppClientMembers;

const NOT_ENDPOINTS = new Set([
  "then",
  "catch",
  "finally",
  "toJSON",
  "constructor",
  "valueOf",
  "toString",
]);

/** Creates the proxy of app `name`. */
export function createAppClient<TTasks extends TaskRecord>(
  invoker: AppInvoker,
  name: string,
): AppClient<TTasks> {
  const members: AppClientMembers = {
    name,
    call: (path, body, options) => invoker._callApp(name, path, body, options),
  };
  const methods = new Map<string, (input?: unknown, options?: CallOptions) => Promise<unknown>>();
  return new Proxy(members, {
    get(target, prop, receiver) {
      if (typeof prop !== "string" || prop in target || NOT_ENDPOINTS.has(prop)) {
        return Reflect.get(target, prop, receiver);
      }
      let method = methods.get(prop);
      if (!method) {
        method = (input, options) => invoker._invoke(name, prop, input, options);
        methods.set(prop, method);
      }
      return method;
    },
  }) as AppClient<TTasks>;
}
