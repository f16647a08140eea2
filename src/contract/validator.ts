/**
 * One validation interface for both sources of schemas: zod (a typed service) and JSON Schema
 * received over the wire (checked with ajv in `client/`). Callers get the same result shape,
 * so proxies behave the same whichever source their schemas came from.
 */
import type { z } from "zod";
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

/** Formats issues as one line for an error message. */
export function describeIssues(issues: ValidationIssue[]): string {
  return issues
    .slice(0, 5)
    .map((issue) =>
      issue.path.length ? `${issue.path.join(".")}: ${issue.message}` : issue.message,
    )
    .join("; ");
}
