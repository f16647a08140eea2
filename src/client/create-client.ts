/**
 * Builds clients: typed from a task record (zod, no network) or untyped from a service's
 * `detailed_endpoints` (ajv), both with the same method shape.
 */
import { builtinTasks } from "../contract/builtins.js";
import type { EndpointDescriptor } from "../contract/endpoint.js";
import type { TaskRecord } from "../contract/task.js";
import { zodRequestValidator, zodValidator } from "../contract/validator.js";
import { DefinitionError } from "../errors.js";
import { ConnectionManager } from "./connection-manager.js";
import type { ClientInit } from "./connection-manager.js";
import { createEndpointFunction } from "./endpoint-method.js";
import type { EndpointSpec } from "./endpoint-method.js";
import { jsonSchemaValidator } from "./json-schema-validator.js";
import type { ServiceClient } from "./types.js";

/** Typed clients keep their endpoint specs here so a gateway client can reuse their zod schemas. */
export const ENDPOINT_SPECS: unique symbol = Symbol.for("portico.endpointSpecs");

/**
 * Names no endpoint may take: they are members of every client, its instance fields included
 * (a test keeps this list in step with the class), or of every object (`toString`, `__proto__`).
 */
export const RESERVED_CLIENT_MEMBERS: ReadonlySet<string> = new Set([
  ...collectMembers(ConnectionManager.prototype),
  ...Object.getOwnPropertyNames(Object.prototype),
  "url",
  "name", // app proxies expose the app's name under it
  "transport",
  "_ownsTransport",
  "_managed",
  "_builtins",
  "_mcpClients",
  "then",
]);

function collectMembers(proto: object): string[] {
  return Object.getOwnPropertyNames(proto).filter((n) => n !== "constructor");
}

/** Endpoint specs of a task record (endpoint name = record key). */
export function specsFromTasks(tasks: TaskRecord): EndpointSpec[] {
  return Object.entries(tasks).map(([name, task]) => ({
    name,
    path: `/${name}`,
    method: "POST",
    input: task.input ? zodRequestValidator(task.input) : undefined,
    output: task.output ? zodValidator(task.output) : undefined,
  }));
}

/** Endpoint specs of wire descriptors (built-in endpoints are skipped: clients have them). */
export function specsFromDescriptors(
  descriptors: Record<string, EndpointDescriptor>,
  skip: ReadonlySet<string> = BUILTIN_WIRE_NAMES,
): EndpointSpec[] {
  return Object.entries(descriptors)
    .filter(([name]) => !skip.has(name))
    .map(([name, d]) => ({
      name,
      path: d.path || `/${name}`,
      method: d.http?.method ?? (d.methods?.includes("POST") ? "POST" : (d.methods?.[0] ?? "POST")),
      input: d.input_schema ? jsonSchemaValidator(d.input_schema) : undefined,
      output: d.output_schema ? jsonSchemaValidator(d.output_schema) : undefined,
      http: d.http,
    }));
}

/** Wire names of the built-in endpoints, which clients expose as lifecycle methods instead. */
export const BUILTIN_WIRE_NAMES: ReadonlySet<string> = new Set(Object.keys(builtinTasks));

/** Adds one method per spec to `client`; a name that would shadow a member is refused. */
export function attachEndpoints<C extends object>(
  client: C & { transport: ConnectionManager["transport"] },
  specs: EndpointSpec[],
  pathPrefix = "",
): C {
  for (const spec of specs) {
    if (spec.name in client || RESERVED_CLIENT_MEMBERS.has(spec.name)) {
      throw new DefinitionError(`Endpoint "${spec.name}" would shadow a client member`);
    }
    Object.defineProperty(client, spec.name, {
      value: createEndpointFunction(client.transport, spec, pathPrefix),
      enumerable: true,
    });
  }
  return client;
}

/**
 * A typed client for a task record.
 * @example
 * const echo = createServiceClient({ url: "http://127.0.0.1:8080" }, { echo: echoTask });
 * await echo.echo({ message: "hi" });
 */
export function createServiceClient<TTasks extends TaskRecord>(
  init: ClientInit,
  tasks: TTasks,
): ServiceClient<TTasks> {
  const specs = specsFromTasks(tasks);
  const client = attachEndpoints(new ConnectionManager(init), specs);
  Object.defineProperty(client, ENDPOINT_SPECS, { value: specs });
  return client as ServiceClient<TTasks>;
}

/** An untyped client whose methods come from the service's `detailed_endpoints`. */
export async function createDiscoveredClient(init: ClientInit): Promise<ServiceClient> {
  const client = new ConnectionManager(init);
  try {
    const descriptors = await client.detailedEndpoints({ timeout: init.timeout ?? 10_000 });
    return attachEndpoints(client, specsFromDescriptors(descriptors)) as ServiceClient;
  } catch (error) {
    await client.close();
    throw error;
  }
}
