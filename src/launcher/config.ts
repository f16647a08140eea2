/**
 * What the launcher tells a child process: which class to load, where to listen, its id and PID
 * file. Passed as one JSON argument; checked on arrival.
 */
import { z } from "zod";

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
});

/** The child's configuration. */
export type ChildConfig = z.infer<typeof childConfigSchema>;

/** IPC message of a primary once every worker listens (one process is ready when it answers). */
export const WORKERS_READY_MESSAGE = "portico:workers-ready";
