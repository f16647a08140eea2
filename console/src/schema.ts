/**
 * From an input JSON Schema to form fields and back: which control each property gets, and how
 * the texts typed into the controls become the input object (and an object becomes texts).
 */
import type { JsonSchema } from "./types";

/** The control of one schema. */
export type FieldKind = "string" | "number" | "integer" | "boolean" | "enum" | "object" | "json";

/** Raw control values by field path (`a.b`): texts, and booleans of checkboxes. */
export type FieldValues = Record<string, string>;

/** The schema a `$ref` or a nullable `anyOf` stands for (local refs only, a few hops). */
export function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  let current = schema;
  for (let hop = 0; hop < 8; hop++) {
    const ref = current.$ref;
    if (typeof ref === "string" && ref.startsWith("#/")) {
      const target = ref
        .slice(2)
        .split("/")
        .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], root);
      if (!target || typeof target !== "object") return current;
      current = target as JsonSchema;
      continue;
    }
    const union = (current.anyOf ?? current.oneOf) as JsonSchema[] | undefined;
    const real = union?.filter((s) => s.type !== "null");
    if (real?.length === 1 && real[0]) {
      current = real[0];
      continue;
    }
    return current;
  }
  return current;
}

/** The control a schema gets. */
export function kindOf(schema: JsonSchema): FieldKind {
  if (Array.isArray(schema.enum) && schema.enum.every(isPrimitive)) return "enum";
  if (schema.const !== undefined && isPrimitive(schema.const)) return "enum";
  const type = Array.isArray(schema.type)
    ? (schema.type as unknown[]).filter((t) => t !== "null")
    : [schema.type];
  if (type.length !== 1) return "json";
  if (type[0] === "object" && isRecord(schema.properties)) return "object";
  if (type[0] === "string" || type[0] === "number" || type[0] === "integer") return type[0];
  if (type[0] === "boolean") return "boolean";
  return "json";
}

/** The choices of an enum field. */
export function choicesOf(schema: JsonSchema): unknown[] {
  return Array.isArray(schema.enum) ? schema.enum : [schema.const];
}

/** The properties of an object schema, with whether each is required. */
export function propertiesOf(schema: JsonSchema): [string, JsonSchema, boolean][] {
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const properties = isRecord(schema.properties) ? schema.properties : {};
  return Object.entries(properties).map(([name, s]) => [
    name,
    isRecord(s) ? s : {},
    required.has(name),
  ]);
}

/** Builds the input from the controls' texts; empty optional fields are left out. */
export function buildValue(
  schema: JsonSchema,
  root: JsonSchema,
  values: FieldValues,
  path: string,
): { value?: unknown; errors: string[] } {
  const resolved = resolve(schema, root);
  const kind = kindOf(resolved);
  const raw = values[path] ?? "";
  if (kind === "object") {
    const out: Record<string, unknown> = {};
    const errors: string[] = [];
    for (const [name, child] of propertiesOf(resolved)) {
      const built = buildValue(child, root, values, join(path, name));
      errors.push(...built.errors);
      if ("value" in built) out[name] = built.value;
    }
    return Object.keys(out).length > 0 || path === "" ? { value: out, errors } : { errors };
  }
  if (raw === "") return { errors: [] };
  switch (kind) {
    case "string":
      return { value: raw, errors: [] };
    case "number":
    case "integer": {
      const number = Number(raw);
      // Sent as typed when it is no number: the gateway's validation says what is wrong.
      return { value: Number.isFinite(number) ? number : raw, errors: [] };
    }
    case "boolean":
      return { value: raw === "true", errors: [] };
    case "enum":
      return { value: choicesOf(resolved)[Number(raw)], errors: [] };
    default:
      try {
        return { value: JSON.parse(raw) as unknown, errors: [] };
      } catch {
        return { errors: [`${path || "input"}: not valid JSON`] };
      }
  }
}

/** The controls' texts that show `value` (the reverse of buildValue). */
export function valuesOf(
  schema: JsonSchema,
  root: JsonSchema,
  value: unknown,
  path: string,
  out: FieldValues = {},
): FieldValues {
  const resolved = resolve(schema, root);
  const kind = kindOf(resolved);
  if (value === undefined) return out;
  if (kind === "object" && isRecord(value)) {
    for (const [name, child] of propertiesOf(resolved)) {
      valuesOf(child, root, value[name], join(path, name), out);
    }
  } else if (kind === "enum") {
    const at = choicesOf(resolved).findIndex((c) => c === value);
    if (at !== -1) out[path] = String(at);
  } else if (kind === "json" || typeof value === "object") {
    out[path] = JSON.stringify(value, null, 2);
  } else {
    out[path] = typeof value === "string" ? value : JSON.stringify(value);
  }
  return out;
}

/** Path of a property under `path`. */
export function join(path: string, name: string): string {
  return path === "" ? name : `${path}.${name}`;
}

function isPrimitive(value: unknown): boolean {
  return value === null || ["string", "number", "boolean"].includes(typeof value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
