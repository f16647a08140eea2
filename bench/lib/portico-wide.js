// A Portico service with 20 endpoints for the discovery figures: `echo` (the benchmark body in,
// {"echoed"} out, like the echo backend) and op01..op19, each with a ~5-field zod input and
// output, so that the JSON Schemas a gateway holds per app are realistic. Served by
// bench/servers/wide-service.js; gateways register it under many app names. Portico is imported
// lazily (loadPortico), so that the harness can import ENDPOINTS_PER_APP without a build.
import { z } from "zod";
import { loadPortico } from "./portico.js";

export const ENDPOINTS_PER_APP = 20;

const opName = (i) => `op${String(i).padStart(2, "0")}`;

const echoTask = (task) =>
  task({
    name: "echo",
    description: "Echo a message back (the benchmark body).",
    input: z.object({
      message: z.string(),
      delay: z.number().min(0).max(60).default(0),
      tag: z.string().max(64).optional(),
      priority: z.number().int().min(0).max(9).optional(),
      trace: z.boolean().optional(),
    }),
    output: z.object({
      echoed: z.string(),
      tag: z.string().optional(),
      priority: z.number().int().optional(),
      at: z.string().optional(),
      node: z.string().optional(),
    }),
  });

function opTask(task, i) {
  return task({
    name: opName(i),
    description: `Synthetic operation ${i}: returns a summary of its input.`,
    input: z.object({
      id: z.string().min(1).max(64),
      count: z.number().int().min(0).max(1000),
      ratio: z.number().min(0).max(1).optional(),
      labels: z.array(z.string().max(32)).max(16).default([]),
      mode: z.enum(["fast", "safe", "dry-run"]).default("safe"),
    }),
    output: z.object({
      id: z.string(),
      op: z.literal(opName(i)),
      total: z.number().int(),
      accepted: z.boolean(),
      labels: z.array(z.string()),
    }),
  });
}

/** The 20 tasks, built with Portico's `task`. */
function wideTasks(task) {
  const tasks = { echo: echoTask(task) };
  for (let i = 1; i < ENDPOINTS_PER_APP; i++) tasks[opName(i)] = opTask(task, i);
  return tasks;
}

/** Serve a WideService on `host:port`; resolves to { url, close }. */
export async function serveWide(host, port) {
  const { Service, task } = (await loadPortico()).core;
  const tasks = wideTasks(task);
  class WideService extends Service {
    static tasks = tasks;

    constructor(options) {
      super(options);
      this.addEndpoint(tasks.echo, ({ message }) => ({ echoed: message }));
      for (let i = 1; i < ENDPOINTS_PER_APP; i++) {
        const op = opName(i);
        this.addEndpoint(tasks[op], ({ id, count, labels, mode }) => ({
          id,
          op,
          total: count * i,
          accepted: mode !== "dry-run",
          labels,
        }));
      }
    }
  }
  return new WideService().serve({ host, port });
}
