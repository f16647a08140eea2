/**
 * The samples' contracts (`portico/samples/contract`): zod task records and nothing of the server
 * side, so a client can be typed from them without loading any service class or fastify.
 */
import { z } from "zod";
import { task } from "../contract/task.js";

/** The echo task: `{ message, delay? }` in, `{ echoed }` out. */
export const echoTask = task({
  name: "echo",
  description: "Echo a message back, optionally after `delay` seconds.",
  input: z.object({
    message: z.string(),
    delay: z.number().min(0).max(60).default(0),
  }),
  output: z.object({ echoed: z.string() }),
});

/** EchoService's contract: what `connect(url, { tasks: echoTasks })` types a client from. */
export const echoTasks = { echo: echoTask };
