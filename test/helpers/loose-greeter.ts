/**
 * A foreign app (plain node:http) that speaks the Portico wire for one task, `greet`, but replies
 * loosely: an extra key the output schema does not allow, and a defaulted key left out. Its
 * replies show whether a client normalises output the same way from zod and from JSON Schema.
 */
import { z } from "zod";
import { task } from "../../src/contract/task.js";
import type { EndpointDescriptor } from "../../src/contract/endpoint.js";
import { startPlainApp, sendJson } from "./plain-app.js";
import type { PlainApp } from "./plain-app.js";

/** The greeter's contract. */
export const greetTask = task({
  name: "greet",
  description: "Greets someone.",
  input: z.object({ name: z.string(), punctuation: z.string().default("!") }),
  output: z.object({ greeting: z.string(), lang: z.string().default("en") }),
});

/** Task record of the greeter (for a typed client). */
export const greeterTasks = { greet: greetTask };

const descriptor: EndpointDescriptor = {
  name: "greet",
  path: "/greet",
  methods: ["POST"],
  input_schema: greetTask.inputJsonSchema,
  output_schema: greetTask.outputJsonSchema,
  description: greetTask.description,
};

/** Starts the greeter. */
export function startLooseGreeter(): Promise<PlainApp> {
  return startPlainApp((req, res) => {
    if (req.url === "/detailed_endpoints")
      return sendJson(res, 200, { endpoints: { greet: descriptor } });
    if (req.url === "/heartbeat") {
      return sendJson(res, 200, {
        heartbeat: { status: "Available", server_id: "greeter", message: "ok" },
      });
    }
    if (req.url !== "/greet")
      return sendJson(res, 404, { error: { code: "ENDPOINT_NOT_FOUND", message: "no" } });
    const input = JSON.parse(req.body.toString("utf8")) as { name: string; punctuation?: string };
    sendJson(res, 200, {
      greeting: `Hello ${input.name}${input.punctuation ?? "?"}`,
      internal: "must not reach callers",
    });
  });
}
