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

/** One entry of `detailed_endpoints`: the seed's wire shape (snake_case). */
export interface EndpointDescriptor {
  name: string;
  path: string;
  methods: HttpMethod[];
  input_schema: JsonSchema | null;
  output_schema: JsonSchema | null;
  description: string;
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
