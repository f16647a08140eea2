/** The gateway's wire shapes the console reads (snake_case, as the gateway sends them). */

/** A JSON Schema, as descriptors carry it. */
export type JsonSchema = Record<string, unknown>;

/** How a call becomes a plain HTTP request (apps described by OpenAPI). */
export interface HttpBinding {
  method: string;
  path: string;
  parameters: { name: string; in: "path" | "query"; property?: string }[];
  body: "fields" | "value" | null;
}

/** One endpoint of an app. */
export interface EndpointDescriptor {
  name: string;
  path: string;
  methods: string[];
  input_schema: JsonSchema | null;
  output_schema: JsonSchema | null;
  description?: string;
  http?: HttpBinding;
  access?: "admin" | "public";
  mcp?: { tool: string };
}

/** One instance (URL) of an app, with this gateway's view of its health. */
export interface InstanceInfo {
  url: string;
  lease_ms?: number;
  server_id?: string;
  health?: "healthy" | "unhealthy" | "ejected";
  last_check?: string;
  last_error?: string;
}

/** One registered app. */
export interface AppInfo {
  name: string;
  url: string;
  endpoints: Record<string, EndpointDescriptor>;
  kind?: string;
  instances?: InstanceInfo[];
  openapi?: string;
  health_path?: string;
  mcp?: string;
}

/** The error body every Portico server sends. */
export interface WireError {
  code: string;
  message: string;
  data?: unknown;
}

/** One app's counters from `app_stats`. */
export interface AppStats {
  name: string;
  requests: number;
  errors: number;
  rate: number;
  error_rate: number;
  p50_ms: number | null;
  p99_ms: number | null;
}

/** What `app_stats` answers. */
export interface StatsReply {
  window_s: number;
  registry: { backend: string; revision: number };
  subscribers: { events: number; mcp: number };
  apps: AppStats[];
}

/** One `/events` frame, decoded. */
export interface GatewayEvent {
  type: string;
  revision?: number;
  name?: string;
  app?: AppInfo;
  url?: string;
  health?: InstanceInfo["health"];
  last_check?: string;
  last_error?: string;
}

/** An MCP tool of the gateway (`<app>__<endpoint>`). */
export interface McpTool {
  name: string;
  title?: string;
  description?: string;
}
