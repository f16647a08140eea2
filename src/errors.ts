/**
 * The error catalogue: every code Portico produces, its class, HTTP status and whether retrying
 * can help. Everything else derives from it: the classes below, the wire map `errorFromWire` uses
 * and docs/errors.md (`npm run docs:errors` writes it; a test fails when it is stale).
 *
 * Two families (as in the MCP SDK): wire errors travel as `{ "error": { code, message, data } }`
 * and are rebuilt on the client from `code`; local errors (launch failed, connection refused,
 * client-side timeout) happen in the caller's process and never serialise.
 *
 * A new code: an entry here, its class below (`errorClass(code)`), its export in src/index.ts.
 */

/** One entry of the catalogue. */
export interface ErrorSpec {
  /** Name of the class that carries the code, exported under that name. */
  readonly className: string;
  readonly status: number;
  readonly retryable: boolean;
  /** True when servers send it; false when it only happens in the caller's process. */
  readonly wire: boolean;
  /** One line for docs/errors.md. */
  readonly description: string;
}

/** Every error code, in the order docs/errors.md lists them. */
export const ERROR_CODES = {
  BAD_REQUEST: {
    className: "BadRequestError",
    status: 400,
    retryable: false,
    wire: true,
    description: "The request body is not valid JSON or not of the expected form.",
  },
  INVALID_APP_NAME: {
    className: "InvalidAppNameError",
    status: 400,
    retryable: false,
    wire: true,
    description: "An app name breaks the naming rule or is reserved.",
  },
  INVALID_APP_URL: {
    className: "InvalidAppUrlError",
    status: 400,
    retryable: false,
    wire: true,
    description: "An app URL is not an absolute http(s) URL.",
  },
  UNAUTHORIZED: {
    className: "UnauthorizedError",
    status: 401,
    retryable: false,
    wire: true,
    description:
      "The action needs a bearer token (`Authorization: Bearer <token>`) and none was sent.",
  },
  FORBIDDEN: {
    className: "ForbiddenError",
    status: 403,
    retryable: false,
    wire: true,
    description:
      "The token sent is wrong, or the action is refused for this caller (e.g. admin from a non-loopback peer with no adminToken).",
  },
  FORBIDDEN_HOST: {
    className: "ForbiddenHostError",
    status: 403,
    retryable: false,
    wire: true,
    description:
      "The request's Host is not one this server answers for (loopback names on a loopback bind, else `allowedHosts`): the DNS-rebinding guard.",
  },
  FORBIDDEN_ORIGIN: {
    className: "ForbiddenOriginError",
    status: 403,
    retryable: false,
    wire: true,
    description:
      "A cross-site request to an admin endpoint: its Origin is not in `allowedOrigins`, or it says `Sec-Fetch-Site: cross-site`.",
  },
  UPSTREAM_NOT_ALLOWED: {
    className: "UpstreamNotAllowedError",
    status: 403,
    retryable: false,
    wire: true,
    description:
      "The app's address (as resolved) is outside `allowedUpstreams`: the SSRF guard refused to connect.",
  },
  ENDPOINT_NOT_FOUND: {
    className: "EndpointNotFoundError",
    status: 404,
    retryable: false,
    wire: true,
    description: "No endpoint of that name on the service.",
  },
  APP_NOT_REGISTERED: {
    className: "AppNotRegisteredError",
    status: 404,
    retryable: false,
    wire: true,
    description: "No app of that name is registered with the gateway.",
  },
  METHOD_NOT_ALLOWED: {
    className: "MethodNotAllowedError",
    status: 405,
    retryable: false,
    wire: true,
    description: "The endpoint exists but not for this HTTP method.",
  },
  REQUEST_TOO_SLOW: {
    className: "RequestTooSlowError",
    status: 408,
    retryable: true,
    wire: true,
    description:
      "The client did not send the whole request (headers, or a body as long as its Content-Length) within the server's timeouts.",
  },
  PAYLOAD_TOO_LARGE: {
    className: "PayloadTooLargeError",
    status: 413,
    retryable: false,
    wire: true,
    description: "The request body exceeds the service's body limit.",
  },
  UNSUPPORTED_MEDIA_TYPE: {
    className: "UnsupportedMediaTypeError",
    status: 415,
    retryable: false,
    wire: true,
    description: "The request body has a content type the endpoint does not accept.",
  },
  VALIDATION_FAILED: {
    className: "ValidationError",
    status: 422,
    retryable: false,
    wire: true,
    description: "Input does not match the task's input schema; `data.issues` lists why.",
  },
  RATE_LIMITED: {
    className: "RateLimitedError",
    status: 429,
    retryable: true,
    wire: true,
    description:
      "This client sent more requests than `rateLimit` allows; retry after `Retry-After` seconds.",
  },
  HEADERS_TOO_LARGE: {
    className: "HeadersTooLargeError",
    status: 431,
    retryable: false,
    wire: true,
    description: "The request's headers exceed the server's limit.",
  },
  INTERNAL_ERROR: {
    className: "InternalError",
    status: 500,
    retryable: false,
    wire: true,
    description: "An endpoint handler threw an unexpected error.",
  },
  OUTPUT_VALIDATION_FAILED: {
    className: "OutputValidationError",
    status: 500,
    retryable: false,
    wire: true,
    description: "A handler returned a value that does not match the task's output schema.",
  },
  UPSTREAM_UNREACHABLE: {
    className: "UpstreamUnreachableError",
    status: 502,
    retryable: true,
    wire: true,
    description: "The gateway could not reach the registered app.",
  },
  DISCOVERY_TOO_LARGE: {
    className: "DiscoveryTooLargeError",
    status: 502,
    retryable: false,
    wire: true,
    description:
      "An app's `detailed_endpoints` reply exceeds `discoveryMaxBytes`; the app is registered without schemas (raw forwarding only).",
  },
  NO_HEALTHY_INSTANCE: {
    className: "NoHealthyInstanceError",
    status: 503,
    retryable: true,
    wire: true,
    description:
      "Every instance of the app is unhealthy (active checks) or ejected (passive checks): the gateway answers at once, without trying any.",
  },
  INSTANCE_MISMATCH: {
    className: "InstanceMismatchError",
    status: 409,
    retryable: false,
    wire: true,
    description:
      'An instance added with `mode: "add"` publishes other endpoints than the app\'s instances; register it with `mode: "replace"` (or under another name) to change the app\'s endpoints.',
  },
  OPENAPI_INVALID: {
    className: "OpenApiInvalidError",
    status: 422,
    retryable: false,
    wire: true,
    description:
      "The app's OpenAPI document could not be read, parsed or resolved (bad JSON, unsupported version, broken `$ref`): the app registers without schemas.",
  },
  TOOL_ERROR: {
    className: "ToolError",
    status: 422,
    retryable: false,
    wire: true,
    description:
      "A tool of an MCP app answered with an error result (`isError`); `data.content` holds what it said.",
  },
  UPSTREAM_BUSY: {
    className: "UpstreamBusyError",
    status: 503,
    retryable: true,
    wire: true,
    description: "The app already has `maxInFlightPerApp` forwarded requests in flight.",
  },
  SERVICE_STOPPING: {
    className: "ServiceStoppingError",
    status: 503,
    retryable: true,
    wire: true,
    description: "The service is shutting down and takes no new calls.",
  },
  REGISTRY_UNAVAILABLE: {
    className: "RegistryUnavailableError",
    status: 503,
    retryable: true,
    wire: true,
    description:
      "The gateway's registry store (SQLite or Redis) is unreachable or stayed busy past its timeout: the change was not confirmed; retry it.",
  },
  UPSTREAM_TIMEOUT: {
    className: "UpstreamTimeoutError",
    status: 504,
    retryable: true,
    wire: true,
    description: "The registered app did not answer the gateway in time.",
  },
  LOOP_DETECTED: {
    className: "LoopDetectedError",
    status: 508,
    retryable: false,
    wire: true,
    description:
      "The request would reach this gateway again (it was registered as its own app, directly or through another gateway).",
  },
  CONSOLE_NOT_BUILT: {
    className: "ConsoleNotBuiltError",
    status: 503,
    retryable: false,
    wire: true,
    description:
      "The gateway console's files are not in `dist/console` (running from source without a build): run `npm run build`.",
  },
  WORKERS_UNAVAILABLE: {
    className: "WorkersUnavailableError",
    status: 503,
    retryable: true,
    wire: true,
    description:
      "A server with several workers could not gather every worker's counters in time for `/metrics` or `app_stats` (a worker starting or stopping).",
  },
  REMOTE_ERROR: {
    className: "RemoteError",
    status: 500,
    retryable: false,
    wire: false,
    description: "A non-2xx reply that carries no Portico error code (e.g. from a foreign server).",
  },
  RESPONSE_INVALID: {
    className: "ResponseInvalidError",
    status: 502,
    retryable: false,
    wire: false,
    description: "A reply is not JSON or does not match the task's output schema.",
  },
  SERVICE_UNAVAILABLE: {
    className: "ServiceUnavailableError",
    status: 503,
    retryable: true,
    wire: false,
    description: "Nothing answers at the URL (connection refused, reset or not a Portico service).",
  },
  REQUEST_TIMEOUT: {
    className: "RequestTimeoutError",
    status: 408,
    retryable: true,
    wire: false,
    description: "The call did not complete within its `timeout`.",
  },
  REQUEST_ABORTED: {
    className: "RequestAbortedError",
    status: 499,
    retryable: false,
    wire: false,
    description: "The caller's AbortSignal aborted the call.",
  },
  LAUNCH_FAILED: {
    className: "LaunchError",
    status: 500,
    retryable: false,
    wire: false,
    description:
      "The service process exited or could not start; `data.stderr` holds its last lines.",
  },
  LAUNCH_TIMEOUT: {
    className: "LaunchTimeoutError",
    status: 504,
    retryable: true,
    wire: false,
    description: "The service process did not become Available before the deadline.",
  },
  ALREADY_RUNNING: {
    className: "AlreadyRunningError",
    status: 409,
    retryable: false,
    wire: false,
    description: "Something already answers at the URL a launch was asked to use.",
  },
  SHUTDOWN_TIMEOUT: {
    className: "ShutdownTimeoutError",
    status: 504,
    retryable: false,
    wire: false,
    description: "A service did not stop within the grace period and was killed.",
  },
  DEFINITION_ERROR: {
    className: "DefinitionError",
    status: 500,
    retryable: false,
    wire: false,
    description:
      "A service or task is declared wrongly (bad or reserved endpoint name, duplicate).",
  },
  INSECURE_BIND: {
    className: "InsecureBindError",
    status: 500,
    retryable: false,
    wire: false,
    description:
      "A server was asked to listen on a non-loopback address with no adminToken; set one, or pass `allowInsecure` / `--insecure`.",
  },
  INVALID_OPTIONS: {
    className: "InvalidOptionsError",
    status: 400,
    retryable: false,
    wire: false,
    description: "Options passed to a Portico function are invalid.",
  },
} as const satisfies Record<string, ErrorSpec>;

/** A code from the catalogue. */
export type ErrorCode = keyof typeof ERROR_CODES;

/** One reason input was rejected, from zod or from JSON Schema validation alike. */
export interface ValidationIssue {
  path: (string | number)[];
  message: string;
  code?: string;
}

/** The JSON body of every error reply. */
export interface WireErrorBody {
  error: { code: string; message: string; data?: unknown };
}

interface ErrorOptions {
  data?: unknown;
  cause?: unknown;
  /** HTTP status when it differs from the catalogue's (a rebuilt remote error keeps the real one). */
  status?: number;
}

/** Base class of every Portico error: a stable `code`, its HTTP `status`, `retryable`, `data`. */
export class PorticoError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly retryable: boolean;
  readonly data: unknown;

  constructor(code: ErrorCode, message: string, options: ErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.status = options.status ?? ERROR_CODES[code].status;
    this.retryable = ERROR_CODES[code].retryable;
    this.data = options.data;
  }

  /** The wire form: what a server sends for this error. */
  toJSON(): WireErrorBody {
    const body: WireErrorBody = { error: { code: this.code, message: this.message } };
    if (this.data !== undefined) body.error.data = this.data;
    return body;
  }
}

/** The class of one code: `new BadRequestError(message, { data, cause })`. */
export interface ErrorClass<TCode extends ErrorCode = ErrorCode> {
  new (message: string, options?: ErrorOptions): PorticoError & { readonly code: TCode };
}

/** The class of each code, filled as the classes are made: the wire map of `errorFromWire`. */
const CLASSES = new Map<ErrorCode, ErrorClass>();

function register(code: ErrorCode, Cls: ErrorClass): void {
  if (CLASSES.has(code)) throw new Error(`Error code ${code} already has a class`);
  CLASSES.set(code, Cls);
}

/** Makes and registers the class of `code`, named as the catalogue says. */
function errorClass<TCode extends ErrorCode>(code: TCode): ErrorClass<TCode> {
  const Cls = class extends PorticoError {
    declare readonly code: TCode;
    constructor(message: string, options?: ErrorOptions) {
      super(code, message, options);
    }
  };
  Object.defineProperty(Cls, "name", { value: ERROR_CODES[code].className });
  register(code, Cls);
  return Cls;
}

// Each class is a value and a type of the same name: `new X(...)`, `instanceof X`, `e: X`.

/** Malformed request body. */
export const BadRequestError = errorClass("BAD_REQUEST");
export type BadRequestError = InstanceType<typeof BadRequestError>;
/** App name breaks the rule or is reserved. */
export const InvalidAppNameError = errorClass("INVALID_APP_NAME");
export type InvalidAppNameError = InstanceType<typeof InvalidAppNameError>;
/** App URL is not an absolute http(s) URL. */
export const InvalidAppUrlError = errorClass("INVALID_APP_URL");
export type InvalidAppUrlError = InstanceType<typeof InvalidAppUrlError>;
/** No bearer token where one is required. */
export const UnauthorizedError = errorClass("UNAUTHORIZED");
export type UnauthorizedError = InstanceType<typeof UnauthorizedError>;
/** Wrong token, or an action refused for this caller. */
export const ForbiddenError = errorClass("FORBIDDEN");
export type ForbiddenError = InstanceType<typeof ForbiddenError>;
/** Host header not allowed (DNS-rebinding guard). */
export const ForbiddenHostError = errorClass("FORBIDDEN_HOST");
export type ForbiddenHostError = InstanceType<typeof ForbiddenHostError>;
/** Cross-site request to an admin endpoint. */
export const ForbiddenOriginError = errorClass("FORBIDDEN_ORIGIN");
export type ForbiddenOriginError = InstanceType<typeof ForbiddenOriginError>;
/** App address outside the allowed upstreams (SSRF guard). */
export const UpstreamNotAllowedError = errorClass("UPSTREAM_NOT_ALLOWED");
export type UpstreamNotAllowedError = InstanceType<typeof UpstreamNotAllowedError>;
/** No such endpoint. */
export const EndpointNotFoundError = errorClass("ENDPOINT_NOT_FOUND");
export type EndpointNotFoundError = InstanceType<typeof EndpointNotFoundError>;
/** No such app on the gateway. */
export const AppNotRegisteredError = errorClass("APP_NOT_REGISTERED");
export type AppNotRegisteredError = InstanceType<typeof AppNotRegisteredError>;
/** Wrong HTTP method. */
export const MethodNotAllowedError = errorClass("METHOD_NOT_ALLOWED");
export type MethodNotAllowedError = InstanceType<typeof MethodNotAllowedError>;
/** Client too slow to send its request. */
export const RequestTooSlowError = errorClass("REQUEST_TOO_SLOW");
export type RequestTooSlowError = InstanceType<typeof RequestTooSlowError>;
/** Body too large. */
export const PayloadTooLargeError = errorClass("PAYLOAD_TOO_LARGE");
export type PayloadTooLargeError = InstanceType<typeof PayloadTooLargeError>;
/** Body of an unsupported content type. */
export const UnsupportedMediaTypeError = errorClass("UNSUPPORTED_MEDIA_TYPE");
export type UnsupportedMediaTypeError = InstanceType<typeof UnsupportedMediaTypeError>;
/** Client over its rate limit. */
export const RateLimitedError = errorClass("RATE_LIMITED");
export type RateLimitedError = InstanceType<typeof RateLimitedError>;
/** Request headers too large. */
export const HeadersTooLargeError = errorClass("HEADERS_TOO_LARGE");
export type HeadersTooLargeError = InstanceType<typeof HeadersTooLargeError>;
/** Handler crashed. */
export const InternalError = errorClass("INTERNAL_ERROR");
export type InternalError = InstanceType<typeof InternalError>;
/** Handler returned a value its output schema rejects. */
export const OutputValidationError = errorClass("OUTPUT_VALIDATION_FAILED");
export type OutputValidationError = InstanceType<typeof OutputValidationError>;
/** Gateway could not reach the app. */
export const UpstreamUnreachableError = errorClass("UPSTREAM_UNREACHABLE");
export type UpstreamUnreachableError = InstanceType<typeof UpstreamUnreachableError>;
/** App's detailed_endpoints reply too large. */
export const DiscoveryTooLargeError = errorClass("DISCOVERY_TOO_LARGE");
export type DiscoveryTooLargeError = InstanceType<typeof DiscoveryTooLargeError>;
/** App at its in-flight cap. */
export const NoHealthyInstanceError = errorClass("NO_HEALTHY_INSTANCE");
export type NoHealthyInstanceError = InstanceType<typeof NoHealthyInstanceError>;
export const InstanceMismatchError = errorClass("INSTANCE_MISMATCH");
export type InstanceMismatchError = InstanceType<typeof InstanceMismatchError>;
export const OpenApiInvalidError = errorClass("OPENAPI_INVALID");
export type OpenApiInvalidError = InstanceType<typeof OpenApiInvalidError>;
export const UpstreamBusyError = errorClass("UPSTREAM_BUSY");
export type UpstreamBusyError = InstanceType<typeof UpstreamBusyError>;
/** Service is stopping. */
export const ServiceStoppingError = errorClass("SERVICE_STOPPING");
export type ServiceStoppingError = InstanceType<typeof ServiceStoppingError>;
/** The registry could not take a change. */
export const RegistryUnavailableError = errorClass("REGISTRY_UNAVAILABLE");
export type RegistryUnavailableError = InstanceType<typeof RegistryUnavailableError>;
/** App too slow for the gateway. */
export const UpstreamTimeoutError = errorClass("UPSTREAM_TIMEOUT");
export type UpstreamTimeoutError = InstanceType<typeof UpstreamTimeoutError>;
/** A request that would loop back into this gateway. */
export const LoopDetectedError = errorClass("LOOP_DETECTED");
export type LoopDetectedError = InstanceType<typeof LoopDetectedError>;
/** The console's built files are missing. */
export const ConsoleNotBuiltError = errorClass("CONSOLE_NOT_BUILT");
export type ConsoleNotBuiltError = InstanceType<typeof ConsoleNotBuiltError>;
/** Not every cluster worker reported its counters in time. */
export const WorkersUnavailableError = errorClass("WORKERS_UNAVAILABLE");
export type WorkersUnavailableError = InstanceType<typeof WorkersUnavailableError>;

/** Non-2xx reply without a Portico code. */
export const ToolError = errorClass("TOOL_ERROR");
export type ToolError = InstanceType<typeof ToolError>;
export const RemoteError = errorClass("REMOTE_ERROR");
export type RemoteError = InstanceType<typeof RemoteError>;
/** Reply not JSON or not matching the output schema. */
export const ResponseInvalidError = errorClass("RESPONSE_INVALID");
export type ResponseInvalidError = InstanceType<typeof ResponseInvalidError>;
/** Nothing answers at the URL. */
export const ServiceUnavailableError = errorClass("SERVICE_UNAVAILABLE");
export type ServiceUnavailableError = InstanceType<typeof ServiceUnavailableError>;
/** Call exceeded its timeout. */
export const RequestTimeoutError = errorClass("REQUEST_TIMEOUT");
export type RequestTimeoutError = InstanceType<typeof RequestTimeoutError>;
/** Call aborted by the caller's signal. */
export const RequestAbortedError = errorClass("REQUEST_ABORTED");
export type RequestAbortedError = InstanceType<typeof RequestAbortedError>;
/** Launched process died or could not start. */
export const LaunchError = errorClass("LAUNCH_FAILED");
export type LaunchError = InstanceType<typeof LaunchError>;
/** Launched process did not become Available in time. */
export const LaunchTimeoutError = errorClass("LAUNCH_TIMEOUT");
export type LaunchTimeoutError = InstanceType<typeof LaunchTimeoutError>;
/** Something already answers at the launch URL. */
export const AlreadyRunningError = errorClass("ALREADY_RUNNING");
export type AlreadyRunningError = InstanceType<typeof AlreadyRunningError>;
/** Service did not stop within its grace period. */
export const ShutdownTimeoutError = errorClass("SHUTDOWN_TIMEOUT");
export type ShutdownTimeoutError = InstanceType<typeof ShutdownTimeoutError>;
/** A service or task is declared wrongly. */
export const DefinitionError = errorClass("DEFINITION_ERROR");
export type DefinitionError = InstanceType<typeof DefinitionError>;
/** Non-loopback listen address without an admin token. */
export const InsecureBindError = errorClass("INSECURE_BIND");
export type InsecureBindError = InstanceType<typeof InsecureBindError>;
/** Invalid options. */
export const InvalidOptionsError = errorClass("INVALID_OPTIONS");
export type InvalidOptionsError = InstanceType<typeof InvalidOptionsError>;

/** Input rejected by a schema; `issues` says why. Thrown by clients (nothing sent) and sent by servers (422). */
export class ValidationError extends PorticoError {
  static {
    register("VALIDATION_FAILED", this);
  }

  readonly issues: ValidationIssue[];
  constructor(message: string, options: ErrorOptions & { issues?: ValidationIssue[] } = {}) {
    const issues = options.issues ?? extractIssues(options.data);
    super("VALIDATION_FAILED", message, { ...options, data: options.data ?? { issues } });
    this.issues = issues;
  }
}

function extractIssues(data: unknown): ValidationIssue[] {
  const issues = (data as { issues?: unknown } | undefined)?.issues;
  return Array.isArray(issues) ? (issues as ValidationIssue[]) : [];
}

/** True when `code` names an entry of the catalogue. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_CODES, code);
}

/**
 * Rebuilds the error a server sent (Moleculer's regenerator): the class comes from the wire
 * `code`; an unknown or local code, or a body that is not a Portico error, becomes a `RemoteError`.
 */
export function errorFromWire(status: number, body: unknown, context: string): PorticoError {
  const wire = (body as Partial<WireErrorBody> | undefined)?.error;
  if (wire && typeof wire === "object" && typeof wire.code === "string") {
    const Cls = wireClass(wire.code);
    const message = typeof wire.message === "string" ? wire.message : `${context} failed`;
    if (Cls) return new Cls(message, { data: wire.data, status });
    return new RemoteError(`${context} failed with ${status}: ${message}`, {
      status,
      data: { code: wire.code, body },
    });
  }
  const text = typeof body === "string" ? body : JSON.stringify(body);
  return new RemoteError(`${context} failed with HTTP ${status}: ${truncate(text ?? "", 200)}`, {
    status,
    data: { body },
  });
}

/** The class a client rebuilds for a wire `code`; none for unknown and local codes. */
function wireClass(code: string): ErrorClass | undefined {
  return isErrorCode(code) && ERROR_CODES[code].wire ? CLASSES.get(code) : undefined;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
