/**
 * A Gateway served in-process with one connected client, counting the requests fastify routes
 * (forwarded app traffic bypasses fastify, so count it at the upstream too). Closed by `await using`.
 */
import type { ZodType } from "zod";
import type { Task, TaskRecord } from "../../src/contract/task.js";
import type { AppClient } from "../../src/gateway/app-client.js";
import { Gateway } from "../../src/gateway/gateway.js";
import type { GatewayOptions } from "../../src/gateway/gateway.js";
import type { ConnectOptions } from "../../src/service/service.js";
import type { GatewayClient } from "../../src/gateway/gateway-client.js";
import { EchoService } from "../../src/samples/echo-service.js";
import type { Service } from "../../src/service/service.js";
import { serveOn } from "./fixtures.js";
import type { Running } from "./fixtures.js";

/** The apps a test expects, by name: their task records. */
export type Apps = Record<string, TaskRecord>;

/** Endpoints a test calls with no contract: raw forwarding, or names the app does not have. */
export type Untyped<K extends string> = Record<K, Task<ZodType, undefined>>;

/** The echo app's contract. */
export type EchoTasks = (typeof EchoService)["tasks"];

/**
 * A gateway client typed with the apps a test registers. Without it `gw.<name>` comes from an index
 * signature, which is possibly undefined under `noUncheckedIndexedAccess`.
 */
export type GatewayWith<TApps extends Apps> = GatewayClient & {
  readonly [K in keyof TApps]: AppClient<TApps[K]>;
};

/** A served gateway, its first client, and a way to connect more. */
export interface GatewayStack<TApps extends Apps = Record<never, never>> extends AsyncDisposable {
  gateway: Running<Gateway>;
  gw: GatewayWith<TApps>;
  /** `METHOD url` of every request fastify routed on the gateway. */
  requests: string[];
  /** Connects another client (`{ subscribe: false }`: pull only), closed with the stack. */
  connect(options?: ConnectOptions): Promise<GatewayWith<TApps>>;
}

/**
 * Records `METHOD url` of every request fastify routes on `service`; call before serving. A
 * gateway's active health checks (a `heartbeat` carrying the gateway's `Via`) come on their own
 * timer and are left out, so counts of the traffic a test caused stay exact.
 */
export function recordRequests(service: Service): string[] {
  const seen: string[] = [];
  service.app.addHook("onRequest", (request, _reply, done) => {
    const check = request.url.endsWith("/heartbeat") && request.headers.via !== undefined;
    if (!check) seen.push(`${request.method} ${request.url}`);
    done();
  });
  return seen;
}

/** An EchoService served in-process that records the requests it routes. */
export async function startRecordedEcho(): Promise<Running<EchoService> & { requests: string[] }> {
  const service = new EchoService();
  const requests = recordRequests(service);
  return Object.assign(await serveOn(service), { requests });
}

/** Serves a Gateway on a free port and connects a client to it. */
export async function startGatewayStack<TApps extends Apps = Record<never, never>>(
  options?: GatewayOptions,
): Promise<GatewayStack<TApps>> {
  const service = new Gateway(options);
  const requests = recordRequests(service);
  const gateway = await serveOn(service);
  const clients: GatewayClient[] = [];
  const connect = async (options?: ConnectOptions): Promise<GatewayWith<TApps>> => {
    const client = await Gateway.connect(gateway.url, options);
    clients.push(client);
    return client as GatewayWith<TApps>;
  };
  const close = async (): Promise<void> => {
    await Promise.all(clients.map((c) => c.close()));
    await gateway.close();
  };
  try {
    const gw = await connect();
    return { gateway, gw, requests, connect, [Symbol.asyncDispose]: close };
  } catch (error) {
    await close();
    throw error;
  }
}
