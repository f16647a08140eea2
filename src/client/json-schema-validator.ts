/**
 * Validators for JSON Schemas received over the wire (ajv, draft 2020-12 as zod emits). Options
 * are chosen so that a wire-schema proxy returns the same shape as a zod-typed one: defaults
 * filled in, keys the output schema does not allow removed.
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
    ajv = new Ajv2020({
      strict: false,
      allErrors: true,
      useDefaults: true,
      removeAdditional: true,
    });
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
    const copy = structuredClone(value); // ajv fills defaults in place: never touch the caller's object
    if (validate(copy)) return { ok: true, value: copy };
    return { ok: false, issues: (validate.errors ?? []).map(toIssue) };
  };
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
