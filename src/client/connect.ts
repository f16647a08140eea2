/**
 * Connecting: probe the URL, then build the client on the probe's own pool (its socket stays
 * warm). Service classes call it through their static `connect`; a client that has only a
 * contract module calls `connect(url, { tasks })` and never loads the server side.
 */
import type { TaskRecord } from "../contract/task.js";
import { ServiceUnavailableError } from "../errors.js";
import type { ClientInit } from "./connection-manager.js";
import { createDiscoveredClient, createServiceClient } from "./create-client.js";
import { isDown } from "./probe.js";
import type { ProbeResult } from "./probe.js";
import { HttpTransport } from "./transport.js";
import type { ServiceClient } from "./types.js";

/** Options of `connect()`. */
export type ConnectOptions = Omit<ClientInit, "url">;

/** Options of `connect()` with the contract to type the client from. */
export interface ConnectTasksOptions<TTasks extends TaskRecord> extends ConnectOptions {
  /** The service's task record (from its contract module); omitted: built from `detailed_endpoints`. */
  tasks?: TTasks;
}

/** Builds a client once the service answered (its class decides which kind). */
export type ClientBuilder<C> = (init: ClientInit) => C | Promise<C>;

/**
 * Connects to the service at `url`: typed from `tasks`, else with methods built from its
 * `detailed_endpoints`. Rejects with `ServiceUnavailableError` naming the URL when no Portico
 * service answers Available there.
 * @example
 * import { connect } from "portico/client";
 * import { echoTasks } from "./echo-contract.js";
 * const echo = await connect("http://127.0.0.1:8080", { tasks: echoTasks });
 * await echo.echo({ message: "hi" });
 */
export function connect<TTasks extends TaskRecord = TaskRecord>(
  url: string | URL,
  options: ConnectTasksOptions<TTasks> = {},
): Promise<ServiceClient<TTasks>> {
  const { tasks, ...rest } = options;
  return connectWith(url, rest, (init) => buildClient(init, tasks ?? ({} as TTasks)));
}

/** The client of a task record: typed when it has tasks, else discovered from the service. */
export async function buildClient<TTasks extends TaskRecord>(
  init: ClientInit,
  tasks: TTasks,
): Promise<ServiceClient<TTasks>> {
  if (Object.keys(tasks).length === 0) {
    return (await createDiscoveredClient(init)) as ServiceClient<TTasks>;
  }
  return createServiceClient(init, tasks);
}

/** Probes `url`, then hands the probe's transport to `build` (closed again if anything fails). */
export async function connectWith<C>(
  url: string | URL,
  options: ConnectOptions,
  build: ClientBuilder<C>,
): Promise<C> {
  const transport = new HttpTransport(url, options);
  try {
    const found = await transport.probe({ timeout: options.timeout ?? 5_000 });
    if (!found.ok) throw unavailable(transport.url, found);
    return await build({ ...options, url, transport, ownsTransport: true });
  } catch (error) {
    await transport.close();
    throw error;
  }
}

/** Why `connect` refuses: nothing answers (Down), not a Portico service, or not Available. */
function unavailable(url: string, found: ProbeResult): ServiceUnavailableError {
  if (found.status !== undefined) {
    return new ServiceUnavailableError(`Service at ${url} is ${found.status}`, {
      cause: found.error,
      data: { url, status: found.status },
    });
  }
  return new ServiceUnavailableError(`No Portico service answers at ${url}`, {
    cause: found.error,
    data: isDown(found) ? { url, status: "Down" } : { url },
  });
}
