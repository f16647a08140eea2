/**
 * The input of an OpenAPI operation as one object schema, and the `http` binding that takes a
 * call's input apart again: path parameters, query parameters, and the JSON body either spread
 * next to them (`fields`) or under `body` (`value`).
 */
import type {
  HttpBinding,
  HttpMethod,
  HttpParameter,
  JsonSchema,
} from "../../contract/endpoint.js";
import { isRecord } from "./openapi-schema.js";
import type { SchemaConverter } from "./openapi-schema.js";

type Json = Record<string, unknown>;

/** A path or query parameter of an operation (references followed). */
export interface ParameterObject {
  name: string;
  in: "path" | "query";
  required: boolean;
  schema: unknown;
  description?: string;
}

/** An operation's JSON request body. */
export interface BodyInfo {
  schema: unknown;
  required: boolean;
  description?: string;
}

/** What `inputSchema` needs of an operation. */
export interface InputParts {
  method: HttpMethod;
  path: string;
  parameters: ParameterObject[];
  body: BodyInfo | undefined;
}

/** A body whose fields can stand next to the parameters. */
interface Fields {
  properties: Json;
  additionalProperties?: unknown;
  required: string[];
}

/** Keys a body schema may have for its fields to be spread into the input object. */
const FIELD_BODY_KEYS = new Set(["type", "properties", "required", "additionalProperties"]);
const NOTE_KEYS = new Set(["title", "description", "example", "examples", "$schema", "$id"]);

/** One object schema for the whole input, and the binding that takes it apart again. */
export function inputSchema(
  converter: SchemaConverter,
  operation: InputParts,
): { binding: HttpBinding; schema: JsonSchema } {
  const { parameters, body } = operation;
  const fields = body && spreadableFields(body);
  const { mode, properties } = layout(parameters, body, fields);
  const props: Json = {};
  const required: string[] = [];
  const bound = parameters.map((p): HttpParameter => {
    const property = properties.get(p) ?? p.name;
    props[property] = described(converter.convert(p.schema), p.description);
    if (p.required) required.push(property);
    return property === p.name ? { name: p.name, in: p.in } : { name: p.name, in: p.in, property };
  });
  const root: Json = { type: "object", properties: props };
  if (mode === "fields" && fields) {
    for (const [field, schema] of Object.entries(fields.properties)) {
      props[field] = converter.convert(schema);
    }
    required.push(...fields.required);
    if (fields.additionalProperties !== undefined) {
      root.additionalProperties = converter.convert(fields.additionalProperties);
    }
  } else {
    if (mode === "value" && body) {
      props.body = described(converter.convert(body.schema), body.description);
      if (body.required) required.push("body");
    }
    // Keys that go nowhere are dropped rather than sent (as a typed client drops unknown keys).
    root.additionalProperties = false;
  }
  if (required.length > 0) root.required = [...new Set(required)];
  const { method, path } = operation;
  return {
    binding: { method, path, parameters: bound, body: mode },
    schema: converter.finish(root),
  };
}

/**
 * Where the body goes, and each parameter's input property (its name, or `<in>_<name>` when
 * taken). The body is spread when its fields take no parameter's property; otherwise it goes
 * under `body`, which no parameter may then take.
 */
function layout(
  parameters: ParameterObject[],
  body: BodyInfo | undefined,
  fields: Fields | undefined,
): { mode: HttpBinding["body"]; properties: Map<ParameterObject, string> } {
  const plain = assignProperties(parameters, new Set());
  if (!body) return { mode: null, properties: plain };
  const taken = new Set(plain.values());
  if (fields && !Object.keys(fields.properties).some((n) => taken.has(n))) {
    return { mode: "fields", properties: plain };
  }
  return { mode: "value", properties: assignProperties(parameters, new Set(["body"])) };
}

/**
 * The body schema's fields, when it is a plain object schema (no combinators or other keywords
 * that spreading would lose), and required or without required fields: leaving every field out
 * of an optional body must stay valid.
 */
function spreadableFields(body: BodyInfo): Fields | undefined {
  const schema = body.schema;
  if (!isRecord(schema)) return undefined;
  const keys = Object.keys(schema).filter((k) => !NOTE_KEYS.has(k) && !k.startsWith("x-"));
  if (!keys.every((k) => FIELD_BODY_KEYS.has(k))) return undefined;
  if (schema.type !== "object" && !(schema.type === undefined && isRecord(schema.properties))) {
    return undefined;
  }
  const properties = isRecord(schema.properties) ? schema.properties : {};
  const listed = Array.isArray(schema.required) ? schema.required : [];
  if (!body.required && listed.length > 0) return undefined;
  const readOnly = (n: string): boolean =>
    isRecord(properties[n]) && properties[n].readOnly === true;
  const required = listed.filter((n): n is string => typeof n === "string" && !readOnly(n));
  const fields: Fields = { properties, required };
  if (schema.additionalProperties !== undefined) {
    fields.additionalProperties = schema.additionalProperties;
  }
  return fields;
}

/** Input property per parameter: its name, or `<in>_<name>` (then `_2`...) when taken. */
function assignProperties(
  parameters: ParameterObject[],
  reserved: Set<string>,
): Map<ParameterObject, string> {
  const taken = new Set(reserved);
  const out = new Map<ParameterObject, string>();
  for (const p of parameters) {
    let property = taken.has(p.name) ? `${p.in}_${p.name}` : p.name;
    for (let n = 2; taken.has(property); n++) property = `${p.in}_${p.name}_${n}`;
    taken.add(property);
    out.set(p, property);
  }
  return out;
}

/** A converted schema with the parameter's or body's description, unless it has its own. */
function described(schema: unknown, description: string | undefined): unknown {
  if (!description || !isRecord(schema) || schema.description !== undefined) return schema;
  return { ...schema, description };
}
