/**
 * OpenAPI schemas as standalone JSON Schema 2020-12 documents, the dialect the client's ajv
 * compiles. OpenAPI 3.0's dialect is converted (`nullable`, boolean `exclusiveMinimum`); 3.1's is
 * 2020-12 already. Every local `$ref` moves under the root's `$defs` instead of being expanded in
 * place: recursive schemas keep working, and a schema used a thousand times is copied once per
 * endpoint, so a small document cannot blow up into huge endpoint schemas.
 */
import { fullFormats } from "ajv-formats/dist/formats.js";
import { DiscoveryTooLargeError, OpenApiInvalidError } from "../../errors.js";
import type { JsonSchema } from "../../contract/endpoint.js";

type Json = Record<string, unknown>;

/** Keywords whose value is one schema. */
const SCHEMA_KEYS = new Set([
  "items",
  "additionalItems",
  "additionalProperties",
  "unevaluatedItems",
  "unevaluatedProperties",
  "not",
  "if",
  "then",
  "else",
  "contains",
  "propertyNames",
  "contentSchema",
]);
/** Keywords whose value maps names to schemas. */
const SCHEMA_MAP_KEYS = new Set([
  "properties",
  "patternProperties",
  "$defs",
  "definitions",
  "dependentSchemas",
]);
/** Keywords whose value is a list of schemas. */
const SCHEMA_LIST_KEYS = new Set(["allOf", "anyOf", "oneOf", "prefixItems"]);
/**
 * Dropped: examples and docs do not validate anything and only grow the copies; `$id` and
 * anchors would register in the client's shared ajv instance and clash between apps.
 */
const DROPPED_KEYS = new Set([
  "example",
  "examples",
  "xml",
  "externalDocs",
  "$id",
  "$schema",
  "$anchor",
  "$dynamicAnchor",
  "$dynamicRef",
]);

/**
 * Formats the client's validator checks (ajv-formats). Others are dropped: a validator ignores
 * them anyway, but ajv warns on the console for each one, in every client.
 */
const KNOWN_FORMATS: ReadonlySet<string> = new Set(Object.keys(fullFormats));

/** True for a plain JSON object. */
export function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A count of schema nodes left for one document: reaching zero means the derived endpoints would
 * be larger than the gateway takes from an app.
 */
export class NodeBudget {
  constructor(private left: number) {}

  spend(url: string): void {
    if (--this.left >= 0) return;
    throw new DiscoveryTooLargeError(
      `The endpoints derived from the OpenAPI document at ${url} exceed discoveryMaxBytes`,
      { data: { url } },
    );
  }
}

/** What every converter of one document shares. */
export interface SchemaContext {
  doc: Json;
  url: string;
  /** True for OpenAPI 3.0 documents, whose schema dialect needs converting. */
  openapi30: boolean;
  budget: NodeBudget;
}

/**
 * Converts the schemas of one root (an endpoint's input or output): call `convert` for each part,
 * then `finish` on the assembled root to attach the `$defs` its parts referenced.
 */
export class SchemaConverter {
  private readonly defs = new Map<string, { key: string; schema: unknown }>();
  private readonly keys = new Set<string>();

  /** `input`: read-only properties are not required; `output`: write-only ones are not. */
  constructor(
    private readonly ctx: SchemaContext,
    private readonly mode: "input" | "output",
  ) {}

  /** One schema, converted. */
  convert(schema: unknown): unknown {
    if (typeof schema === "boolean") return schema;
    if (!isRecord(schema)) return {};
    this.ctx.budget.spend(this.ctx.url);
    const ref = schema.$ref;
    // In 3.0 a `$ref` replaces its object; in 3.1 its siblings apply as well.
    if (typeof ref === "string" && this.ctx.openapi30) return this.reference(ref);
    const out: Json = {};
    for (const [key, value] of Object.entries(schema)) {
      if (DROPPED_KEYS.has(key) || key.startsWith("x-")) continue;
      if (key === "format" && !KNOWN_FORMATS.has(value as string)) continue;
      if (key === "$ref") Object.assign(out, this.reference(value as string));
      else if (SCHEMA_KEYS.has(key)) out[key] = this.convert(value);
      else if (SCHEMA_MAP_KEYS.has(key) && isRecord(value)) out[key] = this.convertMap(value);
      else if (SCHEMA_LIST_KEYS.has(key) && Array.isArray(value)) {
        out[key] = value.map((v) => this.convert(v));
      } else out[key] = this.copy(value);
    }
    this.dropRequired(out);
    return this.ctx.openapi30 ? fromOpenApi30(out) : out;
  }

  /** `root` with the `$defs` its converted parts referenced, and the dialect it is written in. */
  finish(root: Json): JsonSchema {
    const out: Json = { $schema: "https://json-schema.org/draft/2020-12/schema", ...root };
    if (this.defs.size > 0) {
      out.$defs = Object.fromEntries([...this.defs.values()].map((d) => [d.key, d.schema]));
    }
    return out;
  }

  /**
   * A local `$ref` becomes one to `$defs`, converted once (registered before converting, so a
   * recursive schema ends at its own reference). Other references were never fetched: left out,
   * they accept anything rather than fail every call.
   */
  private reference(ref: string): Json {
    if (!ref.startsWith("#")) return {};
    let def = this.defs.get(ref);
    if (!def) {
      def = { key: this.defKey(ref), schema: {} };
      this.defs.set(ref, def);
      def.schema = this.convert(resolvePointer(this.ctx.doc, ref, this.ctx.url));
    }
    return { $ref: `#/$defs/${def.key}` };
  }

  /** A key for `$defs` that needs no escaping in a `$ref` (the pointer's last token, cleaned). */
  private defKey(ref: string): string {
    const last = unescapeToken(safeDecode(ref.slice(ref.lastIndexOf("/") + 1)));
    const base = last.replace(/[^A-Za-z0-9_.-]/g, "_") || "schema";
    let key = base;
    for (let n = 2; this.keys.has(key); n++) key = `${base}_${n}`;
    this.keys.add(key);
    return key;
  }

  private convertMap(map: Json): Json {
    const out: Json = {};
    for (const [name, schema] of Object.entries(map)) out[name] = this.convert(schema);
    return out;
  }

  /** A copy of data (enum values, defaults), counted against the budget. */
  private copy(value: unknown): unknown {
    if (typeof value !== "object" || value === null) return value;
    this.ctx.budget.spend(this.ctx.url);
    if (Array.isArray(value)) return value.map((v) => this.copy(v));
    const out: Json = {};
    for (const [key, v] of Object.entries(value)) out[key] = this.copy(v);
    return out;
  }

  /** A property the caller never sends (read-only in input) or never gets is not required. */
  private dropRequired(schema: Json): void {
    const { required, properties } = schema;
    if (!Array.isArray(required) || !isRecord(properties)) return;
    const flag = this.mode === "input" ? "readOnly" : "writeOnly";
    schema.required = required.filter(
      (name) => !(isRecord(properties[name]) && properties[name][flag] === true),
    );
  }
}

/** OpenAPI 3.0's schema dialect as 2020-12: `nullable` becomes a "null" type, bounds numbers. */
function fromOpenApi30(schema: Json): Json {
  for (const [exclusive, bound] of [
    ["exclusiveMinimum", "minimum"],
    ["exclusiveMaximum", "maximum"],
  ] as const) {
    if (typeof schema[exclusive] !== "boolean") continue;
    if (schema[exclusive] === true && typeof schema[bound] === "number") {
      schema[exclusive] = schema[bound];
      delete schema[bound];
    } else delete schema[exclusive];
  }
  const nullable = schema.nullable === true;
  delete schema.nullable;
  if (!nullable) return schema;
  if (Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum.push(null);
  if (typeof schema.type === "string") schema.type = [schema.type, "null"];
  else if (
    schema.type === undefined &&
    (schema.$ref || schema.allOf || schema.oneOf || schema.anyOf)
  ) {
    return { anyOf: [schema, { type: "null" }] };
  }
  return schema;
}

/**
 * Follows a local JSON pointer (`#/components/schemas/Item`) in `doc`. The document was
 * validated, so every pointer resolves; one that does not is still reported, not thrown raw.
 */
export function resolvePointer(doc: Json, ref: string, url: string): unknown {
  let node: unknown = doc;
  const tokens = ref === "#" ? [] : ref.slice(2).split("/");
  for (const token of tokens) {
    const key = unescapeToken(safeDecode(token));
    node = isRecord(node) || Array.isArray(node) ? (node as Json)[key] : undefined;
    if (node === undefined) {
      throw new OpenApiInvalidError(`The OpenAPI document at ${url} has a broken $ref ${ref}`, {
        data: { url, ref },
      });
    }
  }
  return node;
}

/**
 * The object an OpenAPI `$ref` (to a parameter, request body, response or schema) points at,
 * following chains of references; anything but a reference comes back as is.
 */
export function follow(doc: Json, value: unknown, url: string): unknown {
  let node = value;
  for (let hops = 0; isRecord(node) && typeof node.$ref === "string"; hops++) {
    if (hops === 32 || !node.$ref.startsWith("#")) return undefined;
    node = resolvePointer(doc, node.$ref, url);
  }
  return node;
}

/**
 * A schema that is only a local `$ref` (plus notes), replaced by what it points at: a root
 * schema reads better inline than as a reference into `$defs`, and a body's fields can be seen.
 */
export function peel(doc: Json, schema: unknown, url: string): unknown {
  if (!isRecord(schema) || typeof schema.$ref !== "string") return schema;
  const notesOnly = Object.keys(schema).every(
    (k) => k === "$ref" || k === "description" || k === "summary",
  );
  return notesOnly ? (follow(doc, schema, url) ?? schema) : schema;
}

function safeDecode(token: string): string {
  try {
    return decodeURIComponent(token);
  } catch {
    return token;
  }
}

function unescapeToken(token: string): string {
  return token.replace(/~1/g, "/").replace(/~0/g, "~");
}
