/**
 * The error catalogue: every code Portico produces, its HTTP status and whether retrying can help.
 *
 * Two families (as in the MCP SDK): wire errors travel as `{ "error": { code, message, data } }`
 * and are rebuilt on the client from `code`; local errors (launch failed, connection refused,
 * client-side timeout) happen in the caller's process and never serialise.
 */

/** One entry of the catalogue. */
export interface ErrorSpec {
  readonly status: number;
  readonly retryable: boolean;
  readonly wire: boolean;
  readonly description: string;
}

/** Every error code, with its HTTP status. `docs/errors.md` lists the same codes (a test checks). */
export const ERROR_CODES = {
  BAD_REQUEST: {
    status: 400,
    retryable: false,
    wire: true,
    description: "The request body is not valid JSON or not of the expected form.",
  },
  INVALID_APP_NAME: {
    status: 400,
    retryable: false,
    wire: true,
    description: "An app name breaks the naming rule or is reserved.",
  },
  INVALID_APP_URL: {
    status: 400,
    retryable: false,
    wire: true,
    description: "An app URL is not an absolute http(s) URL.",
  },
  ENDPOINT_NOT_FOUND: {
    status: 404,
    retryable: false,
    wire: true,
    description: "No endpoint of that name on the service.",
  },
  APP_NOT_REGISTERED: {
    status: 404,
    retryable: false,
    wire: true,
    description: "No app of that name is registered with the gateway.",
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    retryable: false,
    wire: true,
    description: "The endpoint exists but not for this HTTP method.",
  },
  PAYLOAD_TOO_LARGE: {
    status: 413,
    retryable: false,
    wire: true,
    description: "The request body exceeds the service's body limit.",
  },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    retryable: false,
    wire: true,
    description: "The request body has a content type the endpoint does not accept.",
  },
  VALIDATION_FAILED: {
    status: 422,
    retryable: false,
    wire: true,
    description: "Input does not match the task's input schema; `data.issues` lists why.",
  },
  INTERNAL_ERROR: {
    status: 500,
    retryable: false,
    wire: true,
    description: "An endpoint handler threw an unexpected error.",
  },
  OUTPUT_VALIDATION_FAILED: {
    status: 500,
    retryable: false,
    wire: true,
    description: "A handler returned a value that does not match the task's output schema.",
  },
  UPSTREAM_UNREACHABLE: {
    status: 502,
    retryable: true,
    wire: true,
    description: "The gateway could not reach the registered app.",
  },
  SERVICE_STOPPING: {
    status: 503,
    retryable: true,
    wire: true,
    description: "The service is shutting down and takes no new calls.",
  },
  UPSTREAM_TIMEOUT: {
    status: 504,
    retryable: true,
    wire: true,
    description: "The registered app did not answer the gateway in time.",
  },
  REMOTE_ERROR: {
    status: 500,
    retryable: false,
    wire: false,
    description: "A non-2xx reply that carries no Portico error code (e.g. from a foreign server).",
  },
  RESPONSE_INVALID: {
    status: 502,
    retryable: false,
    wire: false,
    description: "A reply is not JSON or does not match the task's output schema.",
  },
  SERVICE_UNAVAILABLE: {
    status: 503,
    retryable: true,
    wire: false,
    description: "Nothing answers at the URL (connection refused, reset or not a Portico service).",
  },
  REQUEST_TIMEOUT: {
    status: 408,
    retryable: true,
    wire: false,
    description: "The call did not complete within its `timeout`.",
  },
  REQUEST_ABORTED: {
    status: 499,
    retryable: false,
    wire: false,
    description: "The caller's AbortSignal aborted the call.",
  },
  LAUNCH_FAILED: {
    status: 500,
    retryable: false,
    wire: false,
    description:
      "The service process exited or could not start; `data.stderr` holds its last lines.",
  },
  LAUNCH_TIMEOUT: {
    status: 504,
    retryable: true,
    wire: false,
    description: "The service process did not become Available before the deadline.",
  },
  ALREADY_RUNNING: {
    status: 409,
    retryable: false,
    wire: false,
    description: "Something already answers at the URL a launch was asked to use.",
  },
  SHUTDOWN_TIMEOUT: {
    status: 504,
    retryable: false,
    wire: false,
    description: "A service did not stop within the grace period and was killed.",
  },
  DEFINITION_ERROR: {
    status: 500,
    retryable: false,
    wire: false,
    description:
      "A service or task is declared wrongly (bad or reserved endpoint name, duplicate).",
  },
  INVALID_OPTIONS: {
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

type Ctor = new (message: string, options?: ErrorOptions) => PorticoError;

function errorClass(code: ErrorCode): Ctor {
  return class extends PorticoError {
    constructor(message: string, options?: ErrorOptions) {
      super(code, message, options);
    }
  };
}

/** Malformed request body. */
export class BadRequestError extends errorClass("BAD_REQUEST") {}
/** App name breaks the rule or is reserved. */
export class InvalidAppNameError extends errorClass("INVALID_APP_NAME") {}
/** App URL is not an absolute http(s) URL. */
export class InvalidAppUrlError extends errorClass("INVALID_APP_URL") {}
/** No such endpoint. */
export class EndpointNotFoundError extends errorClass("ENDPOINT_NOT_FOUND") {}
/** No such app on the gateway. */
export class AppNotRegisteredError extends errorClass("APP_NOT_REGISTERED") {}
/** Wrong HTTP method. */
export class MethodNotAllowedError extends errorClass("METHOD_NOT_ALLOWED") {}
/** Body too large. */
export class PayloadTooLargeError extends errorClass("PAYLOAD_TOO_LARGE") {}
/** Body of an unsupported content type. */
export class UnsupportedMediaTypeError extends errorClass("UNSUPPORTED_MEDIA_TYPE") {}
/** Handler crashed. */
export class InternalError extends errorClass("INTERNAL_ERROR") {}
/** Handler returned a value its output schema rejects. */
export class OutputValidationError extends errorClass("OUTPUT_VALIDATION_FAILED") {}
/** Gateway could not reach the app. */
export class UpstreamUnreachableError extends errorClass("UPSTREAM_UNREACHABLE") {}
/** App too slow for the gateway. */
export class UpstreamTimeoutError extends errorClass("UPSTREAM_TIMEOUT") {}
/** Service is stopping. */
export class ServiceStoppingError extends errorClass("SERVICE_STOPPING") {}
/** Non-2xx reply without a Portico code. */
export class RemoteError extends errorClass("REMOTE_ERROR") {}
/** Reply not JSON or not matching the output schema. */
export class ResponseInvalidError extends errorClass("RESPONSE_INVALID") {}
/** Nothing answers at the URL. */
export class ServiceUnavailableError extends errorClass("SERVICE_UNAVAILABLE") {}
/** Call exceeded its timeout. */
export class RequestTimeoutError extends errorClass("REQUEST_TIMEOUT") {}
/** Call aborted by the caller's signal. */
export class RequestAbortedError extends errorClass("REQUEST_ABORTED") {}
/** Launched process died or could not start. */
export class LaunchError extends errorClass("LAUNCH_FAILED") {}
/** Launched process did not become Available in time. */
export class LaunchTimeoutError extends errorClass("LAUNCH_TIMEOUT") {}
/** Something already answers at the launch URL. */
export class AlreadyRunningError extends errorClass("ALREADY_RUNNING") {}
/** Service did not stop within its grace period. */
export class ShutdownTimeoutError extends errorClass("SHUTDOWN_TIMEOUT") {}
/** A service or task is declared wrongly. */
export class DefinitionError extends errorClass("DEFINITION_ERROR") {}
/** Invalid options. */
export class InvalidOptionsError extends errorClass("INVALID_OPTIONS") {}

/** Input rejected by a schema; `issues` says why. Thrown by clients (nothing sent) and sent by servers (422). */
export class ValidationError extends PorticoError {
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

const WIRE_CLASSES: Partial<Record<ErrorCode, Ctor>> = {
  BAD_REQUEST: BadRequestError,
  INVALID_APP_NAME: InvalidAppNameError,
  INVALID_APP_URL: InvalidAppUrlError,
  ENDPOINT_NOT_FOUND: EndpointNotFoundError,
  APP_NOT_REGISTERED: AppNotRegisteredError,
  METHOD_NOT_ALLOWED: MethodNotAllowedError,
  PAYLOAD_TOO_LARGE: PayloadTooLargeError,
  UNSUPPORTED_MEDIA_TYPE: UnsupportedMediaTypeError,
  VALIDATION_FAILED: ValidationError,
  INTERNAL_ERROR: InternalError,
  OUTPUT_VALIDATION_FAILED: OutputValidationError,
  UPSTREAM_UNREACHABLE: UpstreamUnreachableError,
  UPSTREAM_TIMEOUT: UpstreamTimeoutError,
  SERVICE_STOPPING: ServiceStoppingError,
};

/** True when `code` names an entry of the catalogue. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === "string" && Object.hasOwn(ERROR_CODES, code);
}

/**
 * Rebuilds the error a server sent (Moleculer's regenerator): the class comes from the wire
 * `code`; an unknown code or a body that is not a Portico error becomes a `RemoteError`.
 */
export function errorFromWire(status: number, body: unknown, context: string): PorticoError {
  const wire = (body as Partial<WireErrorBody> | undefined)?.error;
  if (wire && typeof wire === "object" && typeof wire.code === "string") {
    const Cls = isErrorCode(wire.code) ? WIRE_CLASSES[wire.code] : undefined;
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

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
