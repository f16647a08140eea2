/**
 * Endpoint names and the wire description of an endpoint (`detailed_endpoints` entries).
 */
import { DefinitionError } from "../errors.js";

/** A JSON Schema document, as produced by `z.toJSONSchema` or received over the wire. */
export type JsonSchema = Record<string, unknown>;

/** HTTP methods an endpoint may answer (HEAD comes with GET). */
export const HTTP_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"] as const;

/** HTTP methods an endpoint may answer. */
export type HttpMethod = (typeof HTTP_METHODS)[number];

/** Methods the gateway forwards and servers answer; any other gets 405 METHOD_NOT_ALLOWED. */
export const FORWARDED_METHODS = [...HTTP_METHODS, "HEAD", "OPTIONS"] as const;

/** Where an `HttpBinding` parameter travels. */
export type HttpParameterLocation = "path" | "query";

/** One path or query parameter of an `HttpBinding`. */
export interface HttpParameter {
  /** The parameter's name on the wire: `{name}` in the path template, or the query key. */
  name: string;
  in: HttpParameterLocation;
  /** The input property holding it, when not `name` (two parameters of one name, or `body`). */
  property?: string;
}

/**
 * How a call becomes a plain HTTP request, for endpoints of apps that are not Portico services
 * (derived from their OpenAPI document). The input is one object: each parameter's property goes
 * into the path or the query string; the JSON body is the remaining properties (`fields`), the
 * `body` property (`value`: the body is not an object, or a field shares a parameter's name), or
 * nothing (`null`). Requiredness and types live in `input_schema` only.
 */
export interface HttpBinding {
  method: HttpMethod;
  /** Path template relative to the app's URL, e.g. `/items/{id}`. */
  path: string;
  parameters: HttpParameter[];
  body: "fields" | "value" | null;
}

/** One entry of `detailed_endpoints`: the seed's wire shape (snake_case). */
export interface EndpointDescriptor {
  name: string;
  path: string;
  methods: HttpMethod[];
  input_schema: JsonSchema | null;
  output_schema: JsonSchema | null;
  description: string;
  /**
   * Present for endpoints of non-Portico apps: the request a call turns into. Clients that predate
   * it ignore it (an extra key); `path` then holds the template and `methods` its one method.
   */
  http?: HttpBinding;
  /**
   * Hints about the endpoint's behaviour, declared by its task: MCP clients read them as tool
   * annotations (a model may call a read-only tool without asking). Hints, never a guarantee.
   */
  annotations?: EndpointAnnotations;
  /**
   * Who may call it, when not any caller: `admin` (the gateway forwards it only with its admin
   * token and never lists it as an MCP tool) or `public` (no caller token needed).
   */
  access?: "admin" | "public";
  /** Present for tools of MCP servers registered as apps: the server's own tool name. */
  mcp?: McpBinding;
}

/** How an endpoint of an MCP app is called: `tools/call` of this tool. */
export interface McpBinding {
  tool: string;
}

/** What a task may declare about its behaviour (snake_case on the wire, as every field). */
export interface EndpointAnnotations {
  /** A human-readable name. */
  title?: string;
  /** It changes nothing. */
  read_only?: boolean;
  /** It may destroy data (meaningful when not read-only). */
  destructive?: boolean;
  /** Calling it twice with the same input has the effect of calling it once. */
  idempotent?: boolean;
  /** It reaches outside the service (the web, other systems). */
  open_world?: boolean;
}

/**
 * Endpoint names are identifiers, so that each is both a URL segment and a client method name
 * (the seed let `.`, `-` and `/` through and produced methods nobody could call).
 */
export const ENDPOINT_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Throws `DefinitionError` unless `name` follows `ENDPOINT_NAME_PATTERN`. */
export function assertEndpointName(name: unknown): asserts name is string {
  if (typeof name !== "string" || !ENDPOINT_NAME_PATTERN.test(name)) {
    throw new DefinitionError(
      `Invalid endpoint name ${JSON.stringify(name)}: use letters, digits and "_", not starting with a digit`,
    );
  }
}
