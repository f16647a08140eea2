/**
 * The Gateway's contract: its wire endpoints and the AppInfo shape (the seed's snake_case wire
 * names). Shared by the Gateway server and every gateway client.
 */
import { z } from "zod";
import { endpointDescriptorSchema } from "../contract/builtins.js";
import { task } from "../contract/task.js";

/** How an app describes its endpoints: Portico `detailed_endpoints`, OpenAPI, or not at all. */
export const appKindSchema = z.enum(["portico", "openapi", "mcp", "http"]);

/** What kind of app it is (decides discovery and the default health check). */
export type AppKind = z.infer<typeof appKindSchema>;

/** Health of an instance as one gateway replica sees it (health is per replica). */
export const instanceHealthSchema = z.enum(["healthy", "unhealthy", "ejected"]);

/** Health of an instance as one gateway replica sees it. */
export type InstanceHealth = z.infer<typeof instanceHealthSchema>;

/** One instance (URL) of an app. */
export const instanceSchema = z.object({
  url: z.string(),
  lease_ms: z
    .number()
    .int()
    .optional()
    .describe(
      "The lease of a self-registered instance; absent for manual ones, which never expire",
    ),
  server_id: z.string().optional().describe("The instance's server_id when last discovered"),
  health: instanceHealthSchema
    .optional()
    .describe(
      "This replica's view: healthy, unhealthy (active checks) or ejected (passive checks)",
    ),
  last_check: z.string().optional().describe("ISO time of this replica's last active check"),
  last_error: z.string().optional().describe("Why the last check or call failed"),
});

/** One instance of an app. */
export type InstanceInfo = z.infer<typeof instanceSchema>;

/** One registered app as the gateway reports it. */
export const appInfoSchema = z.object({
  name: z.string(),
  url: z.string().describe("The first instance's URL (clients of earlier versions read this)"),
  endpoints: z.record(z.string(), endpointDescriptorSchema),
  // A kind this client does not know (a later gateway's) reads as none: the app's endpoints and
  // instances still work; a new kind must never make a whole list unreadable to older clients.
  kind: appKindSchema.optional().catch(undefined),
  instances: z.array(instanceSchema).optional(),
  openapi: z.string().optional().describe("The OpenAPI document's URL given at registration"),
  health_path: z.string().optional().describe("Path of the app's HTTP health check"),
  mcp: z
    .string()
    .optional()
    .describe(
      "MCP apps: the path of the MCP endpoint under each instance's URL (empty: the URL itself)",
    ),
});

/** One registered app: name, URL and its endpoints (JSON Schemas included). */
export type AppInfo = z.infer<typeof appInfoSchema>;

/** What `app_stats` answers (see the README's "Metrics"). */
export const appStatsSchema = z.object({
  window_s: z.number().describe("Seconds the rates and percentiles cover (60)"),
  registry: z.object({
    backend: z.string().describe("memory, sqlite, redis, or custom"),
    revision: z.number().int().describe("The registry revision this gateway's table reflects"),
  }),
  subscribers: z.object({
    events: z.number().int().describe("Open /events streams"),
    mcp: z.number().int().describe("MCP clients listening for tool list changes"),
  }),
  apps: z.array(
    z.object({
      name: z.string(),
      requests: z.number().int().describe("Requests since the gateway started"),
      errors: z
        .number()
        .int()
        .describe("Of those, replies with status >= 500 or made by the gateway (its error codes)"),
      rate: z.number().describe("Requests per second over the window"),
      error_rate: z.number().describe("Share of errors over the window, 0 to 1"),
      p50_ms: z.number().nullable().describe("Median latency over the window (null: no request)"),
      p99_ms: z.number().nullable().describe("99th percentile latency over the window"),
    }),
  ),
});

/** What `app_stats` answers. */
export type AppStatsReply = z.infer<typeof appStatsSchema>;

/** The Gateway's endpoints, keyed by wire name. */
export const gatewayTasks = {
  register_app: task({
    name: "register_app",
    description:
      "Registers an app (mode replace, the default) or adds an instance to it (mode add); the gateway fetches its endpoints itself (detailed_endpoints, else an OpenAPI document).",
    input: z.object({
      name: z.string(),
      url: z.string(),
      mode: z
        .enum(["replace", "add"])
        .optional()
        .describe("replace: the app becomes this one instance; add: one more instance of it"),
      lease_ms: z
        .number()
        .int()
        .min(1_000)
        .max(86_400_000)
        .optional()
        .describe("Keep the instance only while renew_lease is called within this many ms"),
      openapi: z.string().optional().describe("URL of the app's OpenAPI document"),
      kind: z
        .literal("mcp")
        .optional()
        .describe(
          "mcp: the URL is an MCP server (its Streamable HTTP endpoint, or a base URL serving /mcp); detected when absent",
        ),
      health_path: z
        .string()
        .optional()
        .describe(
          "Path answered with 2xx/3xx when healthy (non-Portico apps; default: TCP connect)",
        ),
    }),
    output: appInfoSchema.extend({
      discovered: z.boolean().describe("Whether the app's endpoint schemas could be fetched"),
      discovery_error: z
        .object({ code: z.string(), message: z.string() })
        .optional()
        .describe("Why the app answered but its schemas were not taken (e.g. DISCOVERY_TOO_LARGE)"),
      revision: z
        .number()
        .int()
        .optional()
        .describe(
          "The registry revision of this registration (absent when a later one superseded it)",
        ),
    }),
  }),
  unregister_app: task({
    name: "unregister_app",
    description:
      "Removes an app, or with `url` one instance of it (the app goes with its last instance).",
    input: z.object({ name: z.string(), url: z.string().optional() }),
    output: z.object({
      name: z.string(),
      removed: z.boolean(),
      url: z.string().optional().describe("The instance removed, when one was named"),
      revision: z.number().int().optional().describe("The registry revision of the removal"),
    }),
  }),
  renew_lease: task({
    name: "renew_lease",
    description:
      "Extends the lease of a self-registered instance; renewed false means it is gone (register again).",
    input: z.object({
      name: z.string(),
      url: z.string(),
      lease_ms: z.number().int().min(1_000).max(86_400_000).optional(),
    }),
    output: z.object({ renewed: z.boolean() }),
  }),
  list_apps: task({
    name: "list_apps",
    description: "Names of the registered apps, in registration order.",
    output: z.object({ apps: z.array(z.string()) }),
  }),
  list_apps_with_schemas: task({
    name: "list_apps_with_schemas",
    description:
      "Every registered app with its URL and endpoint schemas; `names` asks for some apps only (unknown names are left out).",
    input: z.object({ names: z.array(z.string()).max(1000).optional() }),
    output: z.object({
      apps: z.array(appInfoSchema),
      revision: z
        .number()
        .int()
        .optional()
        .describe("The registry revision this list reflects (order it against /events)"),
    }),
  }),
  app_stats: task({
    name: "app_stats",
    description:
      "Per-app request counts, rate, error rate and p50/p99 latency over the last minute, from this gateway's own counters; with its registry backend and revision and its subscribers.",
    output: appStatsSchema,
  }),
} as const;

/** What `register_app` answers: the app, whether it was discovered, and why not when it answered. */
export type RegisteredApp = z.infer<typeof gatewayTasks.register_app.output>;
