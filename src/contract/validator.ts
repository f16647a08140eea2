/**
 * One validation interface for both sources of schemas: zod (a typed service) and JSON Schema
 * received over the wire (checked with ajv in `client/`). Callers get the same result shape,
 * so proxies behave the same whichever source their schemas came from.
 */
import { z } from "zod";
import { ValidationError } from "../errors.js";
import type { ValidationIssue } from "../errors.js";

/** Outcome of a validation: the parsed value (defaults applied, unknown keys stripped) or issues. */
export type ValidationResult =
  { ok: true; value: unknown } | { ok: false; issues: ValidationIssue[] };

/** Checks and normalises one value. */
export type Validator = (value: unknown) => ValidationResult;

/** A validator backed by a zod schema. */
export function zodValidator(schema: z.ZodType): Validator {
  return (value) => {
    const result = schema.safeParse(value);
    if (result.success) return { ok: true, value: result.data };
    return {
      ok: false,
      issues: result.error.issues.map((issue) => ({
        path: issue.path.map((key) => (typeof key === "symbol" ? String(key) : key)),
        message: issue.message,
        code: issue.code,
      })),
    };
  };
}

/**
 * A validator for what a client sends: checks with zod, then yields the value in the schema's
 * input view (defaults filled, unknown keys dropped) via `z.encode`, so the server's own parse
 * accepts it. The parsed value itself would not do: a transform applied here would be applied
 * again by the server. When the schema cannot be encoded back (a one-way transform), the
 * caller's value goes out as written, and the validator stops trying for later calls.
 */
export function zodRequestValidator(schema: z.ZodType): Validator {
  const validate = zodValidator(schema);
  let encodable = true;
  return (value) => {
    const result = validate(value);
    if (!result.ok || !encodable) return result.ok ? { ok: true, value } : result;
    try {
      return { ok: true, value: z.encode(schema, result.value) };
    } catch {
      encodable = false;
      return { ok: true, value };
    }
  };
}

/** Formats issues as one line for an error message. */
export function describeIssues(issues: ValidationIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) =>
      issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message,
    )
    .join("; ");
}

const NO_INPUT = Object.freeze({});

/**
 * Validates the input of endpoint `label` (a missing input counts as `{}`) and returns the parsed
 * value, or throws `ValidationError` with the issues: one rule for servers and clients alike.
 */
export function parseInput(validator: Validator, input: unknown, label: string): unknown {
  const result = validator(input === undefined ? NO_INPUT : input);
  if (result.ok) return result.value;
  throw new ValidationError(`Invalid input for ${label}: ${describeIssues(result.issues)}`, {
    issues: result.issues,
  });
}
