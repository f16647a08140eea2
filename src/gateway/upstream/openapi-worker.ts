/**
 * Worker-thread entry: validates one OpenAPI document with @readme/openapi-parser. It runs off
 * the gateway's event loop because the parser compiles the OpenAPI meta-schema on every call: a
 * quarter of a second of CPU or more, which would stall every forwarded request meanwhile.
 */
import { parentPort, workerData } from "node:worker_threads";
import { validate } from "@readme/openapi-parser";

/** What the worker is given. */
export interface CheckRequest {
  doc: Parameters<typeof validate>[0];
  timeoutMs: number;
}

/** What the worker answers: valid, or the first line of each finding. */
export interface CheckVerdict {
  valid: boolean;
  errors: string[];
  /** Findings not listed. */
  more: number;
}

/**
 * Rules the derivation copes with (names are made unique, undeclared path placeholders become
 * string parameters, and so on): common in generated documents, so only warnings here.
 */
const LENIENT_RULES = {
  "array-without-items": "warning",
  "duplicate-non-request-body-parameters": "warning",
  "duplicate-operation-id": "warning",
  "invalid-security-scheme-properties": "warning",
  "non-optional-path-parameters": "warning",
  "path-parameters-not-in-parameters": "warning",
  "path-parameters-not-in-path": "warning",
} as const;

async function check({ doc, timeoutMs }: CheckRequest): Promise<CheckVerdict> {
  try {
    const result = await validate(doc, {
      // Only references inside the document: an app must not make the gateway fetch URLs or
      // read files (SSRF, local file disclosure). External ones are left as they are.
      resolve: { external: false, file: false },
      timeoutMs,
      validate: { rules: { openapi: LENIENT_RULES } },
    });
    if (result.valid) return { valid: true, errors: [], more: 0 };
    const errors = result.errors.slice(0, 3).map((e) => e.message.split("\n")[0]?.trim() ?? "");
    return {
      valid: false,
      errors,
      more: result.errors.length - errors.length + result.additionalErrors,
    };
  } catch (error) {
    return { valid: false, errors: [`could not be read: ${(error as Error).message}`], more: 0 };
  }
}

parentPort?.postMessage(await check(workerData as CheckRequest));
