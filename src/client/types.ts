/**
 * Client types, inferred from the task record (tRPC's decorated procedure record): one method per
 * endpoint, its input and output types taken from the zod schemas. No code generation.
 */
import type { AnyTask, InferInput, InferOutput, TaskRecord } from "../contract/task.js";
import type { ConnectionManager } from "./connection-manager.js";
import type { CallOptions } from "./transport.js";

/** The client method of one task; input is optional when the task needs none. */
export type EndpointMethod<T extends AnyTask> =
  undefined extends InferInput<T>
    ? (input?: InferInput<T>, options?: CallOptions) => Promise<InferOutput<T>>
    : object extends InferInput<T>
      ? (input?: InferInput<T>, options?: CallOptions) => Promise<InferOutput<T>>
      : (input: InferInput<T>, options?: CallOptions) => Promise<InferOutput<T>>;

/** Endpoint methods of a task record. */
export type EndpointMethods<TTasks extends TaskRecord> = {
  readonly [K in keyof TTasks]: EndpointMethod<TTasks[K]>;
};

/** A client of a service whose contract is `TTasks`. */
export type ServiceClient<TTasks extends TaskRecord = TaskRecord> = ConnectionManager &
  EndpointMethods<TTasks>;

/** The tasks a service class declares in `static tasks`. */
export type TasksOf<S> = S extends { tasks: infer T extends TaskRecord } ? T : TaskRecord;
