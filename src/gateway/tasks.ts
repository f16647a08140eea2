/**
 * The Gateway's contract: its wire endpoints and the AppInfo shape (the seed's snake_case wire
 * names). Shared by the Gateway server and every gateway client.
 */
import { z } from "zod";
import { endpointDescriptorSchema } from "../contract/builtins.js";
import { task } from "../contract/task.js";

/** One registered app as the gateway reports it. */
export const appInfoSchema = z.object({
  name: z.string(),
  url: z.string(),
  endpoints: z.record(z.string(), endpointDescriptorSchema),
});

/** One registered app: name, URL and its endpoints (JSON Schemas included). */
export type AppInfo = z.infer<typeof appInfoSchema>;

/** The Gateway's endpoints, keyed by wire name. */
export const gatewayTasks = {
  register_app: task({
    name: "register_app",
    description:
      "Registers (or replaces) an app; the gateway fetches its detailed_endpoints itself.",
    input: z.object({ name: z.string(), url: z.string() }),
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
    description: "Removes an app; its routes disappear for every client.",
    input: z.object({ name: z.string() }),
    output: z.object({
      name: z.string(),
      removed: z.boolean(),
      revision: z.number().int().optional().describe("The registry revision of the removal"),
    }),
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
} as const;

/** What `register_app` answers: the app, whether it was discovered, and why not when it answered. */
export type RegisteredApp = z.infer<typeof gatewayTasks.register_app.output>;
