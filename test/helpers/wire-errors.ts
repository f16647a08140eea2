/**
 * The expected class of every wire error code, written out by hand so that tests check the
 * catalogue's own mapping (`errorFromWire`) against an independent table.
 */
import {
  ConsoleNotBuiltError,
  AppNotRegisteredError,
  BadRequestError,
  DiscoveryTooLargeError,
  ERROR_CODES,
  EndpointNotFoundError,
  ForbiddenError,
  ForbiddenHostError,
  ForbiddenOriginError,
  HeadersTooLargeError,
  InternalError,
  InvalidAppNameError,
  InvalidAppUrlError,
  LoopDetectedError,
  MethodNotAllowedError,
  OutputValidationError,
  PayloadTooLargeError,
  RateLimitedError,
  RegistryUnavailableError,
  RequestTooSlowError,
  ServiceStoppingError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  UpstreamBusyError,
  NoHealthyInstanceError,
  InstanceMismatchError,
  OpenApiInvalidError,
  UpstreamNotAllowedError,
  ToolError,
  UpstreamTimeoutError,
  UpstreamUnreachableError,
  ValidationError,
  WorkersUnavailableError,
} from "../../src/errors.js";
import type { ErrorCode, PorticoError } from "../../src/errors.js";

/** A class of the catalogue, built from a message and options. */
export type ErrorClass = new (message: string, options?: { data?: unknown }) => PorticoError;

/** Every code that travels on the wire, with the class a client must rebuild from it. */
export const WIRE_ERROR_CLASSES: Readonly<Record<string, ErrorClass>> = {
  BAD_REQUEST: BadRequestError,
  CONSOLE_NOT_BUILT: ConsoleNotBuiltError,
  WORKERS_UNAVAILABLE: WorkersUnavailableError,
  INVALID_APP_NAME: InvalidAppNameError,
  INVALID_APP_URL: InvalidAppUrlError,
  UNAUTHORIZED: UnauthorizedError,
  FORBIDDEN: ForbiddenError,
  FORBIDDEN_HOST: ForbiddenHostError,
  FORBIDDEN_ORIGIN: ForbiddenOriginError,
  UPSTREAM_NOT_ALLOWED: UpstreamNotAllowedError,
  ENDPOINT_NOT_FOUND: EndpointNotFoundError,
  APP_NOT_REGISTERED: AppNotRegisteredError,
  METHOD_NOT_ALLOWED: MethodNotAllowedError,
  REQUEST_TOO_SLOW: RequestTooSlowError,
  PAYLOAD_TOO_LARGE: PayloadTooLargeError,
  UNSUPPORTED_MEDIA_TYPE: UnsupportedMediaTypeError,
  VALIDATION_FAILED: ValidationError,
  RATE_LIMITED: RateLimitedError,
  HEADERS_TOO_LARGE: HeadersTooLargeError,
  INTERNAL_ERROR: InternalError,
  OUTPUT_VALIDATION_FAILED: OutputValidationError,
  UPSTREAM_UNREACHABLE: UpstreamUnreachableError,
  DISCOVERY_TOO_LARGE: DiscoveryTooLargeError,
  TOOL_ERROR: ToolError,
  UPSTREAM_BUSY: UpstreamBusyError,
  NO_HEALTHY_INSTANCE: NoHealthyInstanceError,
  INSTANCE_MISMATCH: InstanceMismatchError,
  OPENAPI_INVALID: OpenApiInvalidError,
  SERVICE_STOPPING: ServiceStoppingError,
  REGISTRY_UNAVAILABLE: RegistryUnavailableError,
  UPSTREAM_TIMEOUT: UpstreamTimeoutError,
  LOOP_DETECTED: LoopDetectedError,
};

/** Codes of the catalogue, split by family. */
export function codesWhere(wire: boolean): ErrorCode[] {
  return (Object.keys(ERROR_CODES) as ErrorCode[]).filter((c) => ERROR_CODES[c].wire === wire);
}
