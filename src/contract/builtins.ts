/**
 * The built-in endpoints every service answers, with the seed's wire names and shapes. They live
 * in the contract so that the server that answers them and the client that reads them share one
 * declaration.
 */
import { z } from "zod";
import { HTTP_METHODS } from "./endpoint.js";
import { task } from "./task.js";
import type { AnyTask } from "./task.js";
import type { BuiltinName } from "./builtin-names.js";

/** Values of a service's `status`. */
export const ServiceStatus = z.enum(["Available", "Stopping", "Down"]);
/** A service status. */
export type ServiceStatus = z.infer<typeof ServiceStatus>;

const jsonSchema = z.record(z.string(), z.unknown());

/** Shape of an endpoint's `http` binding (see `HttpBinding`). */
export const httpBindingSchema = z.object({
  method: z.enum(HTTP_METHODS),
  path: z.string(),
  parameters: z.array(
    z.object({
      name: z.string(),
      in: z.enum(["path", "query"]),
      property: z.string().optional(),
    }),
  ),
  body: z.enum(["fields", "value"]).nullable(),
});

/**
 * Shape of one `detailed_endpoints` entry. Not strict: a client reads descriptors of later
 * versions, keys it does not know dropped (as this one drops nothing of earlier ones).
 */
export const endpointDescriptorSchema = z.object({
  name: z.string(),
  path: z.string(),
  methods: z.array(z.enum(HTTP_METHODS)),
  input_schema: jsonSchema.nullable(),
  output_schema: jsonSchema.nullable(),
  description: z.string().default(""),
  http: httpBindingSchema.optional(),
  annotations: z
    .object({
      title: z.string().optional(),
      read_only: z.boolean().optional(),
      destructive: z.boolean().optional(),
      idempotent: z.boolean().optional(),
      open_world: z.boolean().optional(),
    })
    .optional(),
  access: z.enum(["admin", "public"]).optional(),
  mcp: z.object({ tool: z.string() }).optional(),
});

/** Shape of `heartbeat`. */
export const heartbeatSchema = z.object({
  status: ServiceStatus,
  server_id: z.string(),
  message: z.string(),
  details: z.unknown().nullable().default(null),
});

/** Built-ins that only read: MCP clients may call them without asking. */
const READ_ONLY = { read_only: true, idempotent: true, open_world: false } as const;

/** The built-in tasks, keyed by wire name. */
export const builtinTasks = {
  endpoints: task({
    name: "endpoints",
    annotations: READ_ONLY,
    description: "Names of every endpoint of this service.",
    output: z.object({ endpoints: z.array(z.string()) }),
  }),
  detailed_endpoints: task({
    name: "detailed_endpoints",
    annotations: READ_ONLY,
    description: "Every endpoint with its path, methods and input/output JSON Schemas.",
    output: z.object({ endpoints: z.record(z.string(), endpointDescriptorSchema) }),
  }),
  status: task({
    name: "status",
    annotations: READ_ONLY,
    description: "Whether the service takes calls.",
    output: z.object({ status: ServiceStatus }),
  }),
  heartbeat: task({
    name: "heartbeat",
    annotations: READ_ONLY,
    description: "Status, server id and details of this service.",
    output: z.object({ heartbeat: heartbeatSchema }),
  }),
  server_id: task({
    name: "server_id",
    annotations: READ_ONLY,
    description: "The unique id of this server.",
    output: z.object({ server_id: z.string() }),
  }),
  class_name: task({
    name: "class_name",
    annotations: READ_ONLY,
    description: "The class the service was built from.",
    output: z.object({ class_name: z.string() }),
  }),
  pid_file: task({
    name: "pid_file",
    annotations: READ_ONLY,
    description: "Path of the PID file of the launched process (null when served in-process).",
    output: z.object({ pid_file: z.string().nullable() }),
  }),
  shutdown: task({
    name: "shutdown",
    description: "Stops this service process gracefully (it never signals any other process).",
    output: z.object({ shutdown: z.boolean() }),
  }),
} as const satisfies Record<BuiltinName, AnyTask>;
