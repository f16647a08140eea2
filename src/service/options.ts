/**
 * The options every service takes (the access policy's among them). Kept apart from the Service
 * class so the launcher can name them without importing the class.
 */
import { InvalidOptionsError } from "../errors.js";
import type { SecurityOptions } from "../security/options.js";
import type { LogLevel } from "../observe/log-options.js";

/** Options of every service (the access policy's among them). */
export interface ServiceOptions extends SecurityOptions {
  /** Server id reported by `server_id` and `heartbeat` (a random UUID by default). */
  id?: string;
  /** PID file of the launched process (set by the launcher). */
  pidFile?: string | null;
  /** Shown in OpenAPI and the docs page. */
  description?: string;
  /**
   * The API reference at `/docs` (swagger-ui over `/openapi.json`): on by default; `false`
   * removes it (and a plain service's `GET /` redirect to it), `/openapi.json` stays.
   */
  docs?: boolean;
  /**
   * fastify/pino logger: `false` (default, unless `$PORTICO_LOG_LEVEL` is set), `true` (info),
   * or pino options (`stream` or `file` say where lines go; stdout by default).
   */
  logger?: boolean | Record<string, unknown>;
  /** Turns the logger on at this level (over `logger`'s other pino options). */
  logLevel?: LogLevel;
  /**
   * OpenTelemetry spans when `@opentelemetry/api` is installed and a tracer provider is registered
   * before serving (on by default; `false`: none). W3C `traceparent` is propagated either way.
   */
  tracing?: boolean;
  /** Largest request body in bytes (1 MiB). */
  bodyLimit?: number;
  /**
   * The MCP endpoint (Streamable HTTP, protocol revisions 2025-03-26 to 2026-07-28): on at `/mcp`
   * by default, behind the same access policy as every endpoint; `false` turns it off.
   */
  mcp?: boolean | McpOptions;
  /**
   * Request counting and `GET /metrics` (Prometheus text, behind the caller token): on by
   * default; `false` removes the route and all counting (a gateway's `app_stats` then shows zeros).
   */
  metrics?: boolean;
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

/** An on/off option that is on by default (`docs`, `metrics`, `console`...): anything else is refused. */
export function booleanOption(value: unknown, name: string): boolean {
  if (value === undefined || value === true) return true;
  if (value === false) return false;
  throw new InvalidOptionsError(`${name} must be true or false`, { data: { [name]: value } });
}
