/**
 * Endpoints of an app described by OpenAPI 3.0 or 3.1: the document is checked with
 * @readme/openapi-parser (its structure, and that every `$ref` resolves) in a worker thread,
 * with every resolver that could reach the network or the disk turned off, then turned into
 * endpoint descriptors.
 */
import { Worker } from "node:worker_threads";
import type { EndpointDescriptor } from "../../contract/endpoint.js";
import { OpenApiInvalidError } from "../../errors.js";
import { deriveEndpoints } from "./openapi-derive.js";
import { isRecord } from "./openapi-schema.js";
import type { CheckRequest, CheckVerdict } from "./openapi-worker.js";

/** Options of one reading. */
export interface OpenApiOptions {
  /** Where the document came from (for messages). */
  url: string;
  /** Schema nodes the derived endpoints may hold in all. */
  maxNodes: number;
  /** Milliseconds the validation may take (what is left of the discovery's deadline). */
  timeoutMs: number;
}

/**
 * True when a JSON value claims to be an API description (an `openapi` or `swagger` field), so a
 * probe of `/openapi.json` that finds some other JSON is no error.
 */
export function claimsOpenApi(value: unknown): boolean {
  return isRecord(value) && ("openapi" in value || "swagger" in value);
}

/**
 * The app's endpoints from its OpenAPI document; throws OPENAPI_INVALID (with the parser's first
 * findings) when it is not a valid OpenAPI 3.0 or 3.1 document.
 */
export async function endpointsFromOpenApi(
  doc: unknown,
  options: OpenApiOptions,
): Promise<Record<string, EndpointDescriptor>> {
  const { url } = options;
  if (!isRecord(doc)) throw invalid(url, "is not a JSON object");
  if ("swagger" in doc) throw invalid(url, "is Swagger 2.0; OpenAPI 3.0 and 3.1 are read");
  if (typeof doc.openapi !== "string" || !/^3\.[01]\.\d+/.test(doc.openapi)) {
    throw invalid(url, `has openapi ${JSON.stringify(doc.openapi)}; 3.0 and 3.1 are read`);
  }
  const verdict = await check(doc, options);
  if (!verdict.valid) {
    const more = verdict.more > 0 ? ` (and ${verdict.more} more)` : "";
    throw invalid(url, `is invalid: ${verdict.errors.join("; ")}${more}`);
  }
  return deriveEndpoints(doc, { url, maxNodes: options.maxNodes });
}

/**
 * Validates the document in a worker thread of its own (see openapi-worker.ts), with a memory cap
 * and the discovery's deadline: a hostile document can neither stall nor exhaust the gateway.
 */
function check(doc: Record<string, unknown>, options: OpenApiOptions): Promise<CheckVerdict> {
  const request: CheckRequest = { doc: doc as CheckRequest["doc"], timeoutMs: options.timeoutMs };
  return new Promise((resolve) => {
    const worker = startWorker(request);
    // Whatever the parser prints is not the gateway's output.
    worker.stdout.resume();
    worker.stderr.resume();
    const done = (verdict: CheckVerdict): void => {
      clearTimeout(timer);
      worker.removeAllListeners();
      void worker.terminate();
      resolve(verdict);
    };
    const failed = (why: string): void => done({ valid: false, errors: [why], more: 0 });
    const timer = setTimeout(
      () => failed(`was not validated within discoveryTimeout (${options.timeoutMs} ms)`),
      options.timeoutMs,
    );
    worker.once("message", (verdict: CheckVerdict) => done(verdict));
    worker.once("error", (error) => failed(`could not be validated: ${error.message}`));
    worker.once("exit", (code) =>
      failed(`could not be validated (the validator exited with ${code})`),
    );
  });
}

/** The validator's worker; from TypeScript sources (tests, dev) it loads through tsx. */
function startWorker(request: CheckRequest): Worker {
  const options = { workerData: request, resourceLimits: { maxOldGenerationSizeMb: 256 } };
  const here = import.meta.url;
  if (!here.endsWith(".ts")) {
    return new Worker(new URL("./openapi-worker.js", here), {
      ...options,
      stdout: true,
      stderr: true,
    });
  }
  // Node 20 does not pass `--import tsx` on to workers: register tsx in the worker, then load.
  const entry = JSON.stringify(new URL("./openapi-worker.ts", here).href);
  const code = `import("tsx/esm/api").then((tsx) => { tsx.register(); return import(${entry}); });`;
  return new Worker(code, { ...options, eval: true, stdout: true, stderr: true });
}

function invalid(url: string, what: string, cause?: unknown): OpenApiInvalidError {
  const message = `The OpenAPI document at ${url} ${what}`;
  return new OpenApiInvalidError(message.length > 1_000 ? `${message.slice(0, 1_000)}…` : message, {
    data: { url },
    ...(cause === undefined ? {} : { cause }),
  });
}
