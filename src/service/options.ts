/**
 * The options every service takes (the access policy's among them). Kept apart from the Service
 * class so the launcher can name them without importing the class.
 */
import type { SecurityOptions } from "../security/options.js";

/** Options of every service (the access policy's among them). */
export interface ServiceOptions extends SecurityOptions {
  /** Server id reported by `server_id` and `heartbeat` (a random UUID by default). */
  id?: string;
  /** PID file of the launched process (set by the launcher). */
  pidFile?: string | null;
  /** Shown in OpenAPI and the docs page. */
  description?: string;
  /** fastify/pino logger: `false` (default), `true`, or pino options. */
  logger?: boolean | Record<string, unknown>;
  /** Largest request body in bytes (1 MiB). */
  bodyLimit?: number;
}
