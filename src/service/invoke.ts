/**
 * The endpoint pipeline, apart from any transport: validate the input, run the handler, check
 * the output. The HTTP route calls it, and so will the MCP tool adapter; each transport turns
 * what it returns (or throws) into its own wire shape, so an endpoint behaves the same whichever
 * way it is called.
 */
import { describeIssues, parseInput, zodValidator } from "../contract/validator.js";
import type { Validator } from "../contract/validator.js";
import { OutputValidationError, ServiceStoppingError } from "../errors.js";
import type { HandlerContext, RegisteredEndpoint } from "./endpoint.js";
import { JsonText } from "./json-text.js";

/** What an endpoint produced: a checked value, JSON text the handler serialised, or nothing. */
export type InvokeResult =
  { kind: "value"; value: unknown } | { kind: "json"; text: JsonText } | { kind: "empty" };

/** Runs one endpoint: raw input in, result out; throws catalogue errors (VALIDATION_FAILED...). */
export type Invoke = (input: unknown, context: HandlerContext) => Promise<InvokeResult>;

/** The service state the pipeline reads. */
export interface InvokeHost {
  isStopping(): boolean;
}

/** The pipeline of `endpoint`, with its validators compiled once. */
export function createInvoke(endpoint: RegisteredEndpoint, host: InvokeHost): Invoke {
  const input: Validator | undefined = endpoint.task?.input && zodValidator(endpoint.task.input);
  const output: Validator | undefined = endpoint.task?.output && zodValidator(endpoint.task.output);
  return async (raw, context) => {
    if (!endpoint.builtin && host.isStopping()) {
      throw new ServiceStoppingError("The service is shutting down");
    }
    const parsed = input ? parseInput(input, raw, endpoint.name) : undefined;
    const result = await endpoint.handler(parsed as never, context);
    if (result instanceof JsonText) return { kind: "json", text: result };
    if (!output) return result === undefined ? { kind: "empty" } : { kind: "value", value: result };
    const checked = output(result);
    if (!checked.ok) {
      throw new OutputValidationError(
        `Endpoint ${endpoint.name} returned an invalid value: ${describeIssues(checked.issues)}`,
        { data: { issues: checked.issues } },
      );
    }
    return { kind: "value", value: checked.value };
  };
}
