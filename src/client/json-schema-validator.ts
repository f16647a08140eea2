/**
 * Validators for JSON Schemas received over the wire (ajv, draft 2020-12 as zod emits). They
 * return the same shape as a zod-typed client: defaults filled in, keys a closed object schema
 * does not list removed.
 */
import { Ajv2020 } from "ajv/dist/2020.js";
import type { ErrorObject, ValidateFunction } from "ajv";
import addFormatsModule from "ajv-formats";
import type { JsonSchema } from "../contract/endpoint.js";
import type { Validator } from "../contract/validator.js";

// ajv-formats is CommonJS; its default export arrives wrapped under NodeNext resolution.
const addFormats =
  (addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ??
  addFormatsModule;

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

function instance(): Ajv2020 {
  if (!ajv) {
    // No `removeAdditional`: ajv strips inside every anyOf/oneOf branch it tries, even the ones
    // it rejects, which broke valid union values. `stripUnknownKeys` does that job instead.
    ajv = new Ajv2020({ strict: false, allErrors: true, useDefaults: true });
    (addFormats as unknown as (a: Ajv2020) => void)(ajv);
  }
  return ajv;
}

function compile(schema: JsonSchema): ValidateFunction {
  // Many apps publish identical schemas: compile each distinct one once per process.
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    const { $schema: _ignored, ...rest } = schema;
    validate = instance().compile(rest);
    compiled.set(key, validate);
  }
  return validate;
}

/** A validator for a wire JSON Schema, compiled on first use (connect stays cheap with many apps). */
export function jsonSchemaValidator(schema: JsonSchema): Validator {
  let validate: ValidateFunction | undefined;
  return (value) => {
    validate ??= compile(schema);
    // ajv fills defaults in place: work on a copy, never on the caller's object.
    const copy = stripUnknownKeys(schema, structuredClone(value));
    if (validate(copy)) return { ok: true, value: copy };
    return { ok: false, issues: (validate.errors ?? []).map(toIssue) };
  };
}

type Json = Record<string, unknown>;

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Removes the keys a closed object schema (`additionalProperties: false`) does not list, as a zod
 * object strips unknown keys. Follows properties, `additionalProperties` and `items`; values under
 * anyOf/oneOf are left whole (which branch applies is the validator's call).
 */
function stripUnknownKeys(schema: unknown, value: unknown): unknown {
  if (!isRecord(schema)) return value;
  if (Array.isArray(value)) {
    return isRecord(schema.items) ? value.map((v) => stripUnknownKeys(schema.items, v)) : value;
  }
  const rest = schema.additionalProperties;
  if (!isRecord(value) || (!isRecord(schema.properties) && !isRecord(rest))) return value;
  const properties = isRecord(schema.properties) ? schema.properties : {};
  const out: Json = {};
  for (const [key, v] of Object.entries(value)) {
    if (Object.hasOwn(properties, key)) out[key] = stripUnknownKeys(properties[key], v);
    else if (rest !== false) out[key] = stripUnknownKeys(rest, v);
  }
  return out;
}

function toIssue(error: ErrorObject): { path: (string | number)[]; message: string; code: string } {
  const path = error.instancePath
    .split("/")
    .slice(1)
    .map((part) =>
      /^\d+$/.test(part) ? Number(part) : part.replace(/~1/g, "/").replace(/~0/g, "~"),
    );
  const missing = (error.params as { missingProperty?: string }).missingProperty;
  if (missing) path.push(missing);
  return { path, message: error.message ?? "is invalid", code: error.keyword };
}
