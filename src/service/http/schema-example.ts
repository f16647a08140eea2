/**
 * A small, deterministic example value for a JSON Schema: what the API reference pre-fills a
 * request with and shows as a reply. It prefers what the schema says itself (`examples`,
 * `default`, `const`, the first `enum` value), then builds a value that satisfies the common
 * keywords (formats, lower bounds, `minItems`, required properties). The same schema always gives
 * the same example, so documents stay stable between builds.
 */
import type { JsonSchema } from "../../contract/endpoint.js";

/** Past this depth (recursive or very deep schemas) a value is cut short to `null`. */
const MAX_DEPTH = 8;
/** Optional properties shown besides the required ones (the cheap ones only). */
const MAX_OPTIONAL = 8;
/**
 * Items of an array past its `prefixItems`, and values of one example in all: a schema asking
 * for a million items (or nesting arrays that each ask for many) would otherwise make a
 * document of gigabytes and stall the server building it. Past these, examples are cut short.
 */
const MAX_ITEMS = 8;
const MAX_VALUES = 2_000;

/** Example strings of the formats JSON Schema names (RFC 2606/5737/3849 reserved names). */
const FORMATS: Record<string, string> = {
  "date-time": "2024-01-01T12:00:00Z",
  date: "2024-01-01",
  time: "12:00:00Z",
  duration: "PT1M",
  email: "user@example.com",
  "idn-email": "user@example.com",
  hostname: "example.com",
  "idn-hostname": "example.com",
  ipv4: "192.0.2.1",
  ipv6: "2001:db8::1",
  uri: "https://example.com/",
  "uri-reference": "https://example.com/",
  iri: "https://example.com/",
  "iri-reference": "https://example.com/",
  url: "https://example.com/",
  uuid: "3fa85f64-5717-4562-b3fc-2c963f66afa6",
  "json-pointer": "/",
  regex: ".*",
  byte: "aGVsbG8=",
  base64: "aGVsbG8=",
  password: "secret",
};

type Schema = Record<string, unknown>;

/** An example value for `schema` (`undefined` when there is no schema at all). */
export function schemaExample(schema: JsonSchema | null | undefined): unknown {
  if (!schema) return undefined;
  return new Generator(schema).value(schema, 0);
}

/** Walks one schema document; `root` resolves its local `$ref`s. */
class Generator {
  /** Values this example may still make (MAX_VALUES). */
  private left = MAX_VALUES;

  constructor(private readonly root: Schema) {}

  value(schema: unknown, depth: number): unknown {
    if (schema === true || schema === undefined) return null;
    if (!isObject(schema) || depth > MAX_DEPTH || --this.left < 0) return null;
    if (typeof schema.$ref === "string") return this.value(this.resolve(schema.$ref), depth + 1);
    const stated = statedValue(schema);
    if (stated !== undefined) return stated.value;
    const branch = firstBranch(schema);
    if (branch) return this.value({ ...withoutBranches(schema), ...branch }, depth + 1);
    if (Array.isArray(schema.allOf)) return this.merged(schema, schema.allOf, depth);
    switch (typeOf(schema)) {
      case "string":
        return stringExample(schema);
      case "integer":
        return numberExample(schema, true);
      case "number":
        return numberExample(schema, false);
      case "boolean":
        return true;
      case "null":
        return null;
      case "array":
        return this.array(schema, depth);
      case "object":
        return this.object(schema, depth);
      default:
        return null;
    }
  }

  /** `#/$defs/x` and `#/definitions/x`, or any local JSON Pointer; unknown ones give `{}`. */
  private resolve(ref: string): unknown {
    if (!ref.startsWith("#")) return {};
    const keys = ref
      .slice(2)
      .split("/")
      .filter((key) => key !== "")
      .map((key) => decodeURIComponent(key).replace(/~1/g, "/").replace(/~0/g, "~"));
    let node: unknown = this.root;
    for (const key of keys) node = isObject(node) ? node[key] : undefined;
    return node ?? {};
  }

  /** `allOf`: the parts' objects merged (the common use: a base object plus extra properties). */
  private merged(schema: Schema, parts: unknown[], depth: number): unknown {
    const { allOf: _parts, ...own } = schema;
    const values = [own, ...parts].map((part) => this.value(part, depth + 1));
    const objects = values.filter(isObject);
    if (objects.length === 0) return values.find((value) => value !== null) ?? null;
    return Object.assign({}, ...objects) as unknown;
  }

  private array(schema: Schema, depth: number): unknown[] {
    const prefix = Array.isArray(schema.prefixItems) ? schema.prefixItems : [];
    const out = prefix.map((item) => this.value(item, depth + 1));
    const max = typeof schema.maxItems === "number" ? schema.maxItems : Infinity;
    const min = Math.max(typeof schema.minItems === "number" ? schema.minItems : 1, out.length);
    const items = schema.items === false ? undefined : schema.items;
    const wanted = Math.min(items === undefined && out.length > 0 ? out.length : min, max);
    const count = Math.min(wanted, out.length + MAX_ITEMS);
    while (out.length < count) out.push(this.value(items, depth + 1));
    return out.slice(0, Math.min(out.length, max));
  }

  private object(schema: Schema, depth: number): Record<string, unknown> {
    const properties = isObject(schema.properties) ? schema.properties : {};
    const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
    const out: Record<string, unknown> = {};
    let optional = 0;
    for (const [name, property] of Object.entries(properties)) {
      if (required.has(name)) out[name] = this.value(property, depth + 1);
      else if (optional < MAX_OPTIONAL && isCheap(property)) {
        out[name] = this.value(property, depth + 1);
        optional += 1;
      }
    }
    for (const name of required) {
      if (!(name in out)) out[name] = this.value(undefined, depth + 1);
    }
    const extra = schema.additionalProperties;
    if (Object.keys(properties).length === 0 && isObject(extra) && freeKeys(schema)) {
      out[keyExample(schema)] = this.value(extra, depth + 1);
    }
    return out;
  }
}

function isObject(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The value the schema states itself, if any (wrapped: it may be `null`). */
function statedValue(schema: Schema): { value: unknown } | undefined {
  if (Array.isArray(schema.examples) && schema.examples.length > 0) {
    return { value: schema.examples[0] };
  }
  if ("example" in schema) return { value: schema.example };
  if ("default" in schema) return { value: schema.default };
  if ("const" in schema) return { value: schema.const };
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return { value: schema.enum[0] };
  return undefined;
}

/** The first `anyOf`/`oneOf` branch that is not just `null` (an optional value shows its value). */
function firstBranch(schema: Schema): Schema | undefined {
  const branches = Array.isArray(schema.anyOf) ? schema.anyOf : schema.oneOf;
  if (!Array.isArray(branches)) return undefined;
  const objects = branches.filter(isObject);
  return objects.find((branch) => branch.type !== "null") ?? objects[0];
}

function withoutBranches(schema: Schema): Schema {
  const { anyOf: _any, oneOf: _one, ...rest } = schema;
  return rest;
}

/** The schema's type: the first that is not `null` of a list, else guessed from its keywords. */
function typeOf(schema: Schema): string | undefined {
  const type = schema.type;
  if (typeof type === "string") return type;
  if (Array.isArray(type)) return (type.find((t) => t !== "null") ?? type[0]) as string | undefined;
  if ("properties" in schema || "additionalProperties" in schema) return "object";
  if ("items" in schema || "prefixItems" in schema) return "array";
  if ("minLength" in schema || "maxLength" in schema || "format" in schema) return "string";
  if ("minimum" in schema || "maximum" in schema) return "number";
  return undefined;
}

function stringExample(schema: Schema): string {
  const format = typeof schema.format === "string" ? FORMATS[schema.format] : undefined;
  let text = format ?? "string";
  const min = typeof schema.minLength === "number" ? schema.minLength : 0;
  const max = typeof schema.maxLength === "number" ? schema.maxLength : Infinity;
  if (format === undefined) {
    while (text.length < min) text += "x";
    if (text.length > max) text = text.slice(0, max);
  }
  return text;
}

function numberExample(schema: Schema, integer: boolean): number {
  const num = (key: string): number | undefined =>
    typeof schema[key] === "number" ? schema[key] : undefined;
  const step = num("multipleOf") ?? (integer ? 1 : undefined);
  const exclusiveMin = num("exclusiveMinimum");
  const min = num("minimum");
  const max = num("maximum") ?? num("exclusiveMaximum");
  let value: number;
  if (min !== undefined) value = min;
  else if (exclusiveMin !== undefined) value = exclusiveMin + (step ?? 1);
  else if (max !== undefined && max < 0) value = max - (num("exclusiveMaximum") === max ? 1 : 0);
  else value = 0;
  if (step !== undefined && step > 0) {
    value = Math.ceil(value / step) * step;
    if (exclusiveMin !== undefined && value <= exclusiveMin) value += step;
  }
  return value;
}

/** Optional properties worth showing: they state a value, or are a plain scalar. */
function isCheap(property: unknown): boolean {
  if (!isObject(property)) return false;
  if (statedValue(property) !== undefined) return true;
  const type = typeOf(property);
  return type === "string" || type === "number" || type === "integer" || type === "boolean";
}

/** A record (`additionalProperties` only) whose key names are free enough to invent one. */
function freeKeys(schema: Schema): boolean {
  const names = schema.propertyNames;
  if (!isObject(names)) return true;
  return names.pattern === undefined && names.format === undefined;
}

function keyExample(schema: Schema): string {
  const names = schema.propertyNames;
  if (isObject(names)) {
    const stated = statedValue(names);
    if (stated !== undefined && typeof stated.value === "string") return stated.value;
    if (typeof names.minLength === "number" && names.minLength > 3) {
      return "key".padEnd(names.minLength, "x");
    }
  }
  return "key";
}
