/**
 * What the launcher tells a child process: which class to load, where to listen, its id and PID
 * file, and the gateway to register with. Passed as one JSON argument; checked on arrival. Tokens
 * never travel here (they would show in `ps`): they go through the environment.
 */
import { z } from "zod";

/** The gateway a launched service registers with (its token: `$PORTICO_GATEWAY_TOKEN`). */
export const childRegistrationSchema = z.object({
  gateway: z.string().min(1),
  name: z.string().min(1),
  leaseMs: z.number().int().optional(),
  advertiseUrl: z.string().min(1).optional(),
  registrationTimeout: z.number().int().positive().optional(),
});

/** The child's configuration. */
export const childConfigSchema = z.object({
  module: z.string().min(1),
  exportName: z.string().min(1),
  host: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  id: z.string().min(1),
  pidFile: z.string().min(1),
  numWorkers: z.number().int().min(1).max(64),
  serviceOptions: z.record(z.string(), z.unknown()).default({}),
  registration: childRegistrationSchema.optional(),
});

/** The child's configuration. */
export type ChildConfig = z.infer<typeof childConfigSchema>;

/** Self-registration settings of a launched service. */
export type ChildRegistration = z.infer<typeof childRegistrationSchema>;

/**
 * IPC message of the launched process once it is ready: serving (every worker listening) and
 * registered with its gateway when it has one. Launch waits for it and for an Available probe.
 */
export const READY_MESSAGE = "portico:ready";

/** IPC message of a launched process that failed to start, with the error's wire form. */
export interface FailedMessage {
  type: "portico:failed";
  error: { code: string; message: string; data?: unknown };
}

/** True for a `FailedMessage`. */
export function isFailedMessage(message: unknown): message is FailedMessage {
  return (message as FailedMessage | undefined)?.type === "portico:failed";
}
