/**
 * Endpoint names and the wire description of an endpoint (`detailed_endpoints` entries).
 */
import { DefinitionError } from "../errors.js";

/** A JSON Schema document, as produced by `z.toJSONSchema` or received over the wire. */
export type JsonSchema = Record<string, unknown>;

/** HTTP methods an endpoint may answer. */
export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE" | "PATCH";

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
