/**
 * The client entry (`portico/client`): everything a caller of Portico services needs and nothing
 * of the server side. It never loads fastify (a test checks it): type a client from a contract
 * module (tasks declared with `task()`), not from the service class.
 * @example
 * import { connect } from "portico/client";
 * import { echoTasks } from "portico/samples/contract";
 * const echo = await connect("http://127.0.0.1:8080", { tasks: echoTasks });
 */
export { task } from "../contract/task.js";
export type {
  AnyTask,
  InferInput,
  InferOutput,
  Task,
  TaskDefinition,
  TaskRecord,
} from "../contract/task.js";
export type { EndpointDescriptor } from "../contract/endpoint.js";
export { builtinTasks, ServiceStatus } from "../contract/builtins.js";

export { connect, connectWith } from "./connect.js";
export type { ClientBuilder, ConnectOptions, ConnectTasksOptions } from "./connect.js";
export { ConnectionManager } from "./connection-manager.js";
export type { ClientInit, ManagedProcess, ShutdownOptions } from "./connection-manager.js";
export { createDiscoveredClient, createServiceClient } from "./create-client.js";
export { isDown, probeHeartbeat } from "./probe.js";
export type { ProbeOptions, ProbeResult } from "./probe.js";
export type { CallOptions, TransportOptions } from "./transport.js";
export type { EndpointMethod, EndpointMethods, ServiceClient, TasksOf } from "./types.js";

export { ERROR_CODES, PorticoError, errorFromWire, isErrorCode } from "../errors.js";
export type { ErrorCode, WireErrorBody } from "../errors.js";
