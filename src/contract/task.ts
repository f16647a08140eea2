/**
 * Tasks: the typed contract of one endpoint. A task is an inert declaration (name, zod input and
 * output, description) from which server validation, client types, JSON Schema, OpenAPI and MCP
 * tool schemas are all derived, so no type is ever written twice.
 */
import { z } from "zod";
import { DefinitionError } from "../errors.js";
import type { EndpointAnnotations, JsonSchema } from "./endpoint.js";
import { assertEndpointName } from "./endpoint.js";

/** What `task()` takes. */
export interface TaskDefinition<
  TInput extends z.ZodType | undefined,
  TOutput extends z.ZodType | undefined,
> {
  name: string;
  description?: string;
  input?: TInput;
  output?: TOutput;
  /** Behaviour hints (read-only, idempotent...), published with the endpoint and as MCP annotations. */
  annotations?: EndpointAnnotations;
}

/** A declared endpoint contract. */
export interface Task<
  TInput extends z.ZodType | undefined = z.ZodType | undefined,
  TOutput extends z.ZodType | undefined = z.ZodType | undefined,
> {
  readonly name: string;
  readonly description: string;
  readonly input: TInput;
  readonly output: TOutput;
  /** Behaviour hints, when the task declares them. */
  readonly annotations?: EndpointAnnotations;
  /** JSON Schema of what callers send (zod's input view: defaults are optional). */
  readonly inputJsonSchema: JsonSchema | null;
  /** JSON Schema of what the endpoint returns (zod's output view). */
  readonly outputJsonSchema: JsonSchema | null;
}

/** Any task, whatever its schemas. */
export type AnyTask = Task<z.ZodType | undefined, z.ZodType | undefined>;

/** A record of tasks keyed by endpoint name: the contract of a whole service. */
export type TaskRecord = Record<string, AnyTask>;

/**
 * What a caller passes to the endpoint of `T`: `undefined` when the task has no input, `unknown`
 * when its schema is not known statically (untyped clients).
 */
export type InferInput<T extends AnyTask> = [T["input"]] extends [undefined]
  ? undefined
  : T["input"] extends z.ZodType
    ? z.input<T["input"]>
    : unknown;

/** What the endpoint of `T` resolves to (`unknown` when the task declares no output). */
export type InferOutput<T extends AnyTask> = T["output"] extends z.ZodType
  ? z.output<T["output"]>
  : unknown;

/** What a handler of `T` receives: the parsed input, with defaults applied. */
export type InferHandlerInput<T extends AnyTask> = [T["input"]] extends [undefined]
  ? undefined
  : T["input"] extends z.ZodType
    ? z.output<T["input"]>
    : unknown;

/** What a handler of `T` may return (zod's input view of the output schema). */
export type InferHandlerOutput<T extends AnyTask> = T["output"] extends z.ZodType
  ? z.input<T["output"]>
  : unknown;

/**
 * Declares a task.
 * @example
 * const echoTask = task({
 *   name: "echo",
 *   input: z.object({ message: z.string() }),
 *   output: z.object({ echoed: z.string() }),
 * });
 */
export function task<
  TInput extends z.ZodType | undefined = undefined,
  TOutput extends z.ZodType | undefined = undefined,
>(definition: TaskDefinition<TInput, TOutput>): Task<TInput, TOutput> {
  assertEndpointName(definition.name);
  const input = definition.input as TInput;
  const output = definition.output as TOutput;
  let inputSchema: JsonSchema | null | undefined;
  let outputSchema: JsonSchema | null | undefined;
  return Object.freeze({
    name: definition.name,
    description: definition.description ?? "",
    input,
    output,
    ...(definition.annotations ? { annotations: { ...definition.annotations } } : {}),
    // Lazy: converting schemas costs time that servers which never publish them need not pay.
    get inputJsonSchema() {
      return (inputSchema ??= toJsonSchema(definition.name, input, "input"));
    },
    get outputJsonSchema() {
      return (outputSchema ??= toJsonSchema(definition.name, output, "output"));
    },
  });
}

function toJsonSchema(
  name: string,
  schema: z.ZodType | undefined,
  io: "input" | "output",
): JsonSchema | null {
  if (schema === undefined) return null;
  try {
    return z.toJSONSchema(schema, { io, unrepresentable: "any" });
  } catch (cause) {
    throw new DefinitionError(
      `Task "${name}": its ${io} schema cannot be expressed as JSON Schema`,
      {
        cause,
      },
    );
  }
}
