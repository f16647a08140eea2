// The Portico service the MCP conformance suite (@modelcontextprotocol/conformance) is run against
// by scripts/conformance.js: the tools its server scenarios call by name, as far as a Portico
// endpoint can play them, built with the public API of the build (dist/index.js) like any user
// service. A Portico tool returns its endpoint's JSON as text (+ structuredContent), so the
// scenarios that want image, audio or resource content, logging, progress, sampling or
// elicitation have no tool here: scripts/conformance.js says why they fail.
//
//   test_simple_text           no input, a string: text content (tools-call-simple-text)
//   test_error_handling        no input, always throws: an `isError` result (tools-call-error)
//   test_reconnection          no input, answers at once: Portico cannot close the POST stream
//                              mid-call, so server-sse-polling reports it did not (INFO, warnings)
//   json_schema_2020_12_tool   the input schema of json-schema-2020-12 ($defs, additionalProperties)
//
// Also runnable alone, for a manual run of the suite: `node scripts/conformance-service.js
// [--port N]` prints "READY <url>" (the MCP endpoint is <url>/mcp) and serves until Ctrl+C.
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { z } from "zod";
import { Service, task } from "../dist/index.js";

export const SIMPLE_TEXT = "This is a simple text response for testing.";
export const ERROR_TEXT = "This tool intentionally returns an error for testing";

// A named zod schema becomes `$defs.address` and a `$ref` to it: the shape the scenario expects.
const address = z
  .object({ street: z.string().optional(), city: z.string().optional() })
  .meta({ id: "address" });

const tasks = {
  test_simple_text: task({
    name: "test_simple_text",
    description: "Returns a simple text response (MCP conformance: tools-call-simple-text).",
    output: z.string(),
  }),
  test_error_handling: task({
    name: "test_error_handling",
    description: "Always fails (MCP conformance: tools-call-error).",
    output: z.string(),
  }),
  test_reconnection: task({
    name: "test_reconnection",
    description: "Answers at once (MCP conformance: server-sse-polling).",
    output: z.string(),
  }),
  json_schema_2020_12_tool: task({
    name: "json_schema_2020_12_tool",
    description: "Tool with JSON Schema 2020-12 features",
    input: z.strictObject({ name: z.string().optional(), address: address.optional() }),
    output: z.object({ received: z.record(z.string(), z.unknown()) }),
  }),
};

/** The conformance fixture: tools named as the suite's scenarios call them. */
export class ConformanceService extends Service {
  static tasks = tasks;

  constructor(options) {
    super({ description: "Portico fixture for the MCP conformance suite", ...options });
    this.addEndpoint(tasks.test_simple_text, () => SIMPLE_TEXT);
    this.addEndpoint(tasks.test_error_handling, () => {
      throw new Error(ERROR_TEXT);
    });
    this.addEndpoint(tasks.test_reconnection, () => "Reconnection test completed");
    this.addEndpoint(tasks.json_schema_2020_12_tool, (input) => ({ received: input }));
  }
}

/** Serves the fixture on `host:port` (a free port by default): resolves to { url, close }. */
export function serveConformanceService({ host = "127.0.0.1", port = 0 } = {}) {
  return new ConformanceService().serve({ host, port });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { port: { type: "string" } } });
  const served = await serveConformanceService({ port: Number(values.port ?? 0) });
  process.stdout.write(`READY ${served.url}\n`);
  const stop = () => void served.close().finally(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}
