/**
 * One endpoint as OpenAPI operations, written for people reading the API reference: a short
 * summary, the description as Markdown, request and reply examples generated from the schemas,
 * and the error codes the call can actually answer, each pointing at the shared `Error` schema.
 */
import type { EndpointDescriptor, HttpParameter, JsonSchema } from "../../contract/endpoint.js";
import { ERROR_CODES } from "../../errors.js";
import type { AccessAction } from "../../security/options.js";
import type { ErrorCode } from "../../errors.js";
import { schemaExample } from "./schema-example.js";

/** Which tokens the server checks: operations then declare the bearer scheme. */
export interface DocsSecurity {
  /** A caller token is configured: every `call` operation needs it. */
  callToken: boolean;
  /** An admin token is configured (else admin operations answer loopback peers only). */
  adminToken: boolean;
}

/** How one descriptor's operations are written. */
export interface OperationOptions {
  /** The tag that groups them. */
  tag: string;
  security: DocsSecurity;
  /** Path prefix: `/<app>` for a gateway's registered apps, none for a service's own. */
  prefix?: string;
  /** Prefix of operationIds, keeping them unique across apps (`<app>__`). */
  idPrefix?: string;
  /** Calls a gateway forwards: its upstream errors may answer too. */
  forwarded?: boolean;
  /** Who may call it, when not the descriptor's `access` (the gateway decides for forwarded calls). */
  access?: AccessAction;
}

/** A path, a lower-case method and its operation. */
export type OperationEntry = [path: string, method: string, operation: Record<string, unknown>];

/** The reference every error reply uses. */
const ERROR_REF = { $ref: "#/components/schemas/Error" };

/** The wire error body `{ error: { code, message, data } }`. */
export const errorSchema: JsonSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: { type: "string", description: "One of the codes of docs/errors.md" },
        message: { type: "string" },
        data: { description: "Details, by code (VALIDATION_FAILED: `issues`)" },
      },
    },
  },
};

/** The OpenAPI operations of one endpoint. */
export function operations(d: EndpointDescriptor, options: OperationOptions): OperationEntry[] {
  const prefix = options.prefix ?? "";
  if (d.http) {
    const method = d.http.method.toLowerCase();
    return [[prefix + d.http.path, method, boundOperation(d, options)]];
  }
  const primary = d.methods.includes("POST") ? "POST" : d.methods[0];
  return d.methods.map((method) => {
    // operationIds must be unique in the document: the method clients use keeps the bare name,
    // others get a "-" suffix, which no endpoint name can contain.
    const id = method === primary ? d.name : `${d.name}-${method.toLowerCase()}`;
    const input = strip(d.input_schema);
    return [
      prefix + d.path,
      method.toLowerCase(),
      {
        ...common(d, options, `${options.idPrefix ?? ""}${id}`),
        ...(input && { requestBody: jsonBody(input) }),
        responses: responses(d, options, input !== undefined),
      },
    ];
  });
}

/** An endpoint of a non-Portico app: its parameters in the path and query, the rest as body. */
function boundOperation(d: EndpointDescriptor, options: OperationOptions): Record<string, unknown> {
  const binding = d.http!;
  const input = strip(d.input_schema) ?? {};
  const properties = (input.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((input.required ?? []) as string[]);
  const parameters = binding.parameters.map((p) => parameter(p, properties, required));
  const taken = new Set(binding.parameters.map((p) => p.property ?? p.name));
  let body: JsonSchema | undefined;
  if (binding.body === "value") body = properties.body ?? {};
  else if (binding.body === "fields") {
    const fields = Object.entries(properties).filter(([name]) => !taken.has(name));
    if (fields.length > 0) {
      body = {
        ...input,
        properties: Object.fromEntries(fields),
        required: [...required].filter((name) => !taken.has(name)),
      };
    }
  }
  return {
    ...common(d, options, `${options.idPrefix ?? ""}${d.name}`),
    ...(parameters.length > 0 && { parameters }),
    ...(body && { requestBody: jsonBody(body) }),
    responses: responses(d, options, false),
  };
}

function parameter(
  p: HttpParameter,
  properties: Record<string, JsonSchema>,
  required: ReadonlySet<string>,
): Record<string, unknown> {
  const property = p.property ?? p.name;
  const schema = properties[property] ?? { type: "string" };
  return {
    name: p.name,
    in: p.in,
    required: p.in === "path" || required.has(property),
    schema,
    ...(typeof schema.description === "string" && { description: schema.description }),
  };
}

/** Tag, operationId, summary (the first sentence), description (Markdown) and security. */
function common(
  d: EndpointDescriptor,
  options: OperationOptions,
  operationId: string,
): Record<string, unknown> {
  const access = options.access ?? d.access ?? "call";
  // swagger-ui shows summaries as plain text (Markdown marks would show) and renders descriptions.
  const summary = plainText(firstSentence(d.description)) || d.name;
  const notes = [d.description.trim(), accessNote(access, options)];
  const description = notes.filter((note) => note !== "").join("\n\n");
  return {
    tags: [options.tag],
    operationId,
    summary,
    ...(description && { description }),
    ...security(access, options.security),
  };
}

/** The first sentence of a description: up to the first `.`, `!` or `?` that ends a sentence. */
export function firstSentence(text: string): string {
  const trimmed = text.trim();
  const end = /[.!?](\s|$)/.exec(trimmed);
  const sentence = end ? trimmed.slice(0, end.index + 1) : trimmed;
  return sentence.split("\n")[0]!.trim();
}

/** Text without the Markdown marks a summary would show literally (code spans, emphasis). */
export function plainText(markdown: string): string {
  return markdown
    .replace(/`([^`]*)`/g, "$1")
    .replace(/\*\*([^*]+)\*\*/g, "$1")
    .replace(/(^|\W)[*_]([^*_]+)[*_](?=\W|$)/g, "$1$2");
}

function accessNote(access: string, options: OperationOptions): string {
  if (access === "admin") {
    return options.security.adminToken
      ? "**Admin:** needs the admin token (`Authorization: Bearer <admin token>`)."
      : "**Admin:** answers loopback peers only (no admin token is configured).";
  }
  if (access === "public") return "**Public:** no token needed (health probes).";
  return "";
}

/** Bearer where a token is needed; none (`[]`) on open operations of a server that checks one. */
function security(access: string, tokens: DocsSecurity): Record<string, unknown> {
  if (needsToken(access, tokens)) return { security: [{ bearer: [] }] };
  return tokens.callToken || tokens.adminToken ? { security: [] } : {};
}

function needsToken(access: string, security: DocsSecurity): boolean {
  if (access === "admin") return security.adminToken;
  return access === "call" && security.callToken;
}

function responses(
  d: EndpointDescriptor,
  options: OperationOptions,
  hasBody: boolean,
): Record<string, unknown> {
  const output = strip(d.output_schema);
  const access = options.access ?? d.access ?? "call";
  const out: Record<string, unknown> = {
    "200": {
      description: "Success",
      content: { "application/json": withExample(output ?? {}) },
    },
  };
  // Without an output schema a handler may return nothing, which is sent as 204.
  if (!output && !d.http) out["204"] = { description: "No content" };
  if (hasBody) {
    out["400"] = errorReply("BAD_REQUEST");
    out["422"] = errorReply("VALIDATION_FAILED");
  } else if (d.mcp && d.input_schema) out["422"] = errorReply("VALIDATION_FAILED", "TOOL_ERROR");
  if (needsToken(access, options.security)) out["401"] = errorReply("UNAUTHORIZED");
  if (access === "admin" || (access === "call" && options.security.callToken)) {
    out["403"] = errorReply("FORBIDDEN");
  }
  if (options.forwarded) {
    out["502"] = errorReply("UPSTREAM_UNREACHABLE");
    out["503"] = errorReply("NO_HEALTHY_INSTANCE", "UPSTREAM_BUSY");
    out["504"] = errorReply("UPSTREAM_TIMEOUT");
  }
  out.default = {
    description: "Any other error, in the same shape",
    content: { "application/json": { schema: ERROR_REF } },
  };
  return out;
}

/** An error reply: its codes and what they mean (from the catalogue), with an example body. */
function errorReply(...codes: ErrorCode[]): Record<string, unknown> {
  const first = codes[0]!;
  return {
    description: codes.map((code) => `\`${code}\`: ${ERROR_CODES[code].description}`).join(" "),
    content: {
      "application/json": {
        schema: ERROR_REF,
        example: { error: { code: first, message: ERROR_CODES[first].description } },
      },
    },
  };
}

function jsonBody(schema: JsonSchema): Record<string, unknown> {
  return { required: true, content: { "application/json": withExample(schema) } };
}

/** A media type with its schema and, when one can be made, an example value. */
function withExample(schema: JsonSchema): Record<string, unknown> {
  const example = Object.keys(schema).length === 0 ? undefined : schemaExample(schema);
  return example === undefined ? { schema } : { schema, example };
}

/** A schema without `$schema` (the document's dialect is 2020-12 already). */
function strip(schema: JsonSchema | null): JsonSchema | undefined {
  if (!schema) return undefined;
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}
