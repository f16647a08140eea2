/**
 * Endpoint descriptors from a (validated) OpenAPI 3.0 or 3.1 document: one per operation, its
 * input one object (path parameters, query parameters and the JSON body's fields, or the body
 * under `body`), its output the first 2xx JSON response, and an `http` binding that tells clients
 * how a call becomes the app's HTTP request.
 */
import { HTTP_METHODS } from "../../contract/endpoint.js";
import type { EndpointDescriptor, HttpMethod, JsonSchema } from "../../contract/endpoint.js";
import { inputSchema } from "./openapi-input.js";
import type { BodyInfo, ParameterObject } from "./openapi-input.js";
import { NameTable, operationName, routeName } from "./openapi-names.js";
import { NodeBudget, SchemaConverter, follow, isRecord, peel } from "./openapi-schema.js";
import type { SchemaContext } from "./openapi-schema.js";

type Json = Record<string, unknown>;

/** Options of one derivation. */
export interface DeriveOptions {
  /** Where the document came from (for error messages). */
  url: string;
  /** Schema nodes the derived endpoints may hold in all (guards against documents that expand). */
  maxNodes: number;
}

/** One operation of the document, before it is named. */
interface Operation {
  method: HttpMethod;
  path: string;
  op: Json;
  parameters: ParameterObject[];
  body: BodyInfo | undefined;
}

/**
 * Endpoint descriptors keyed by name, in document order. Operations that cannot be called with
 * a JSON request (a body of another media type only) are left out; they stay reachable through
 * an app proxy's raw `call`.
 */
export function deriveEndpoints(
  doc: Json,
  options: DeriveOptions,
): Record<string, EndpointDescriptor> {
  const ctx: SchemaContext = {
    doc,
    url: options.url,
    openapi30: String(doc.openapi).startsWith("3.0."),
    budget: new NodeBudget(options.maxNodes),
  };
  const operations = collectOperations(ctx);
  const names = new NameTable();
  // Named operations claim their names first, so a fallback never takes an operationId's name.
  const named = operations.map((o) => operationName(o.op.operationId));
  const claimed = named.map((name) => (name === undefined ? undefined : names.claim(name)));
  const out: Record<string, EndpointDescriptor> = {};
  operations.forEach((operation, i) => {
    const name = claimed[i] ?? names.claim(routeName(operation.method, operation.path));
    out[name] = describe(ctx, name, operation);
  });
  return out;
}

function collectOperations(ctx: SchemaContext): Operation[] {
  const operations: Operation[] = [];
  const paths = isRecord(ctx.doc.paths) ? ctx.doc.paths : {};
  for (const [path, rawItem] of Object.entries(paths)) {
    const item = follow(ctx.doc, rawItem, ctx.url);
    if (!isRecord(item)) continue;
    for (const method of HTTP_METHODS) {
      const op = item[method.toLowerCase()];
      if (!isRecord(op)) continue;
      const body = requestBody(ctx, op.requestBody);
      if (body === null) continue;
      const parameters = mergeParameters(ctx, path, item.parameters, op.parameters);
      operations.push({ method, path, op, parameters, body });
    }
  }
  return operations;
}

/** Path-level parameters overridden by the operation's; path placeholders nobody declared added. */
function mergeParameters(
  ctx: SchemaContext,
  path: string,
  shared: unknown,
  own: unknown,
): ParameterObject[] {
  const byKey = new Map<string, ParameterObject>();
  for (const list of [shared, own]) {
    for (const raw of Array.isArray(list) ? list : []) {
      const p = parameter(ctx, raw);
      if (p) byKey.set(`${p.in}:${p.name}`, p);
    }
  }
  for (const [, name] of path.matchAll(/\{([^}]+)\}/g)) {
    if (name && !byKey.has(`path:${name}`)) {
      byKey.set(`path:${name}`, { name, in: "path", required: true, schema: { type: "string" } });
    }
  }
  // Path parameters first: they come first in the input object too.
  const all = [...byKey.values()];
  return [...all.filter((p) => p.in === "path"), ...all.filter((p) => p.in === "query")];
}

/** A path or query parameter (header and cookie ones are not sent by clients; left out). */
function parameter(ctx: SchemaContext, raw: unknown): ParameterObject | undefined {
  const p = follow(ctx.doc, raw, ctx.url);
  if (!isRecord(p) || typeof p.name !== "string" || (p.in !== "path" && p.in !== "query")) {
    return undefined;
  }
  const schema = peel(ctx.doc, p.schema ?? jsonMedia(p.content)?.schema ?? {}, ctx.url);
  const out: ParameterObject = {
    name: p.name,
    in: p.in,
    required: p.in === "path" || p.required === true,
    schema,
  };
  if (typeof p.description === "string") out.description = p.description;
  return out;
}

/** The JSON request body; undefined when there is none, null when it is not JSON (not callable). */
function requestBody(ctx: SchemaContext, raw: unknown): BodyInfo | undefined | null {
  const body = follow(ctx.doc, raw, ctx.url);
  if (!isRecord(body)) return undefined;
  const media = jsonMedia(body.content);
  if (!media)
    return isRecord(body.content) && Object.keys(body.content).length > 0 ? null : undefined;
  const schema = peel(ctx.doc, media.schema ?? {}, ctx.url);
  const info: BodyInfo = { schema, required: body.required === true };
  if (typeof body.description === "string") info.description = body.description;
  return info;
}

/** The first JSON media type object of a `content` map (`application/json`, `...+json`). */
function jsonMedia(content: unknown): Json | undefined {
  if (!isRecord(content)) return undefined;
  for (const [type, media] of Object.entries(content)) {
    if (/^application\/(?:[\w.-]+\+)?json\s*(?:;|$)/i.test(type) && isRecord(media)) return media;
  }
  return undefined;
}

function describe(ctx: SchemaContext, name: string, operation: Operation): EndpointDescriptor {
  const { method, path, op } = operation;
  const { binding, schema } = inputSchema(new SchemaConverter(ctx, "input"), operation);
  const output = outputSchema(ctx, op.responses);
  const summary = typeof op.summary === "string" ? op.summary : undefined;
  const description = typeof op.description === "string" ? op.description : undefined;
  return {
    name,
    path,
    methods: [method],
    input_schema: schema,
    output_schema: output,
    description: (summary ?? description ?? "").trim(),
    http: binding,
  };
}

/** The schema of the first 2xx response with JSON content (lowest code first), else null. */
function outputSchema(ctx: SchemaContext, responses: unknown): JsonSchema | null {
  if (!isRecord(responses)) return null;
  const codes = Object.keys(responses)
    .filter((code) => /^2(?:\d\d|XX)$/i.test(code))
    .map((code) => code.toUpperCase())
    .sort(); // "200" < "201" < "2XX": exact codes before the range
  for (const code of codes) {
    const response = follow(ctx.doc, responses[code] ?? responses[code.toLowerCase()], ctx.url);
    const media = isRecord(response) ? jsonMedia(response.content) : undefined;
    if (!media) continue;
    if (media.schema === undefined) return null;
    const converter = new SchemaConverter(ctx, "output");
    const schema = converter.convert(peel(ctx.doc, media.schema, ctx.url));
    return converter.finish(isRecord(schema) ? schema : { allOf: [schema] });
  }
  return null;
}
