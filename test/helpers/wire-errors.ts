/**
 * The expected class of every wire error code, written out by hand so that tests check the
 * catalogue's own mapping (`errorFromWire`) against an independent table.
 */
import {
  AppNotRegisteredError,
  BadRequestError,
  ERROR_CODES,
  EndpointNotFoundError,
  InternalError,
  InvalidAppNameError,
  InvalidAppUrlError,
  MethodNotAllowedError,
  OutputValidationError,
  PayloadTooLargeError,
  ServiceStoppingError,
  UnsupportedMediaTypeError,
  UpstreamTimeoutError,
  UpstreamUnreachableError,
  ValidationError,
} from "../../src/errors.js";
import type { ErrorCode, PorticoError } from "../../src/errors.js";

/** A class of the catalogue, built from a message and options. */
export type ErrorClass = new (message: string, options?: { data?: unknown }) => PorticoError;

/** Every code that travels on the wire, with the class a client must rebuild from it. */
export const WIRE_ERROR_CLASSES: Readonly<Record<string, ErrorClass>> = {
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
  SERVICE_STOPPING: ServiceStoppingError,
  UPSTREAM_TIMEOUT: UpstreamTimeoutError,
};

/** Codes of the catalogue, split by family. */
export function codesWhere(wire: boolean): ErrorCode[] {
  return (Object.keys(ERROR_CODES) as ErrorCode[]).filter((c) => ERROR_CODES[c].wire === wire);
}
