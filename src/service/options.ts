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
  /**
   * The MCP endpoint (Streamable HTTP, protocol revisions 2025-03-26 to 2026-07-28): on at `/mcp`
   * by default, behind the same access policy as every endpoint; `false` turns it off.
   */
  mcp?: boolean | McpOptions;
}

/** Settings of a service's (or gateway's) MCP endpoint. */
export interface McpOptions {
  /** Where it is served (`/mcp`). */
  path?: string;
  /** 2025-revision sessions kept at once (1,000); over it a streamless one makes room, else 503. */
  maxSessions?: number;
  /** Milliseconds a 2025 session with no open stream lives after its last request (30 min). */
  sessionIdleMs?: number;
  /** Milliseconds a burst of tool changes is gathered into one `list_changed` (100). */
  debounceMs?: number;
  /** Tools per `tools/list` page (500). */
  pageSize?: number;
}
