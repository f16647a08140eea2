/**
 * Registered endpoints of a service: the task, its handler, and the checks a name must pass.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { FastifyRequest } from "fastify";
import type { AccessAction } from "../security/options.js";
import type { AnyTask, InferHandlerInput, InferHandlerOutput } from "../contract/task.js";
import type { EndpointDescriptor, HttpMethod } from "../contract/endpoint.js";
import { assertEndpointName } from "../contract/endpoint.js";
import { RESERVED_CLIENT_MEMBERS } from "../client/create-client.js";
import { DefinitionError } from "../errors.js";
import type { JsonText } from "./json-text.js";

/** What a handler receives besides its input, whatever transport brought the call. */
export interface HandlerContext {
  /** Aborted when the caller goes away before the reply. */
  readonly signal: AbortSignal;
  /** The call's request headers (HTTP headers; for other transports, what they carry as such). */
  readonly headers: IncomingHttpHeaders;
  /** The transport that brought the call. */
  readonly transport: "http" | "mcp";
  /** What the caller presented to authenticate (its bearer token), whatever the transport. */
  readonly auth: CallerAuth;
  /** The fastify request, for calls that came over HTTP (logger, socket, raw request). */
  readonly request?: FastifyRequest;
}

/** The caller's credentials as sent: verify them yourself (a JWT, say) when the service needs to. */
export interface CallerAuth {
  /** The token of `Authorization: Bearer <token>`, if the call carried one. */
  readonly bearer: string | undefined;
}

/** The caller's credentials from its request headers. */
export function callerAuth(headers: IncomingHttpHeaders): CallerAuth {
  const value = headers.authorization;
  const bearer =
    value !== undefined && value.length > 7 && value.slice(0, 7).toLowerCase() === "bearer "
      ? value.slice(7).trim()
      : undefined;
  return { bearer };
}

/** An endpoint implementation: parsed input in, output (or a Promise of it) out. */
export type Handler<T extends AnyTask> = (
  input: InferHandlerInput<T>,
  context: HandlerContext,
) => HandlerResult<T> | Promise<HandlerResult<T>>;

/** What a handler returns: its output, or `JsonText` it has serialised itself. */
export type HandlerResult<T extends AnyTask> = InferHandlerOutput<T> | JsonText;

/** A handler of any task, as the service stores it. */
export type AnyHandler = (input: never, context: HandlerContext) => unknown;

/** Per-endpoint options. */
export interface EndpointOptions {
  /** HTTP methods the endpoint answers (default `["POST"]`). */
  methods?: HttpMethod[];
  /**
   * Who may call it (`call` by default): `public` needs no caller token (health probes), `admin`
   * needs the admin token, or a loopback peer when none is configured (stop, reconfigure).
   */
  access?: AccessAction;
}

/** An endpoint as the service keeps it. */
export interface RegisteredEndpoint {
  name: string;
  task: AnyTask | undefined;
  handler: AnyHandler;
  methods: HttpMethod[];
  builtin: boolean;
  access: AccessAction;
}

/** Routes every service serves besides its endpoints (`/openapi.json` is no valid name anyway). */
const SERVICE_ROUTES: ReadonlySet<string> = new Set(["docs", "mcp", "metrics"]);

/** Checks a new endpoint name: identifier, not a client member or service route, not taken. */
export function assertNewEndpoint(name: string, taken: ReadonlyMap<string, unknown>): void {
  assertEndpointName(name);
  if (SERVICE_ROUTES.has(name)) {
    throw new DefinitionError(`Endpoint name "${name}" is reserved for the service's own route`);
  }
  if (RESERVED_CLIENT_MEMBERS.has(name)) {
    throw new DefinitionError(
      `Endpoint name "${name}" is reserved: it would shadow the client member of that name`,
    );
  }
  if (taken.has(name)) throw new DefinitionError(`Endpoint "${name}" is already defined`);
}

/** The `detailed_endpoints` entry of an endpoint. */
export function describeEndpoint(endpoint: RegisteredEndpoint): EndpointDescriptor {
  return {
    name: endpoint.name,
    path: `/${endpoint.name}`,
    methods: endpoint.methods,
    input_schema: endpoint.task?.inputJsonSchema ?? null,
    output_schema: endpoint.task?.outputJsonSchema ?? null,
    description: endpoint.task?.description ?? "",
    ...(endpoint.task?.annotations ? { annotations: endpoint.task.annotations } : {}),
    ...(endpoint.access !== "call" ? { access: endpoint.access } : {}),
  };
}
