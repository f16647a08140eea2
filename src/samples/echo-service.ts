/**
 * EchoService: the seed's sample, used by the demo, the docs and the tests. `echo` returns the
 * message, after `delay` seconds when asked (to try timeouts).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { z } from "zod";
import { task } from "../contract/task.js";
import { Service } from "../service/service.js";
import type { ServiceOptions } from "../service/service.js";

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

/** A service with one endpoint, `echo`. */
export class EchoService extends Service {
  static override tasks = { echo: echoTask };
  static override moduleUrl: string | undefined = import.meta.url;

  constructor(options?: ServiceOptions) {
    super(options);
    this.addEndpoint(
      "echo",
      async ({ message, delay }, { signal }) => {
        if (delay > 0) await sleep(delay * 1000, undefined, { signal }).catch(() => undefined);
        return { echoed: message };
      },
      echoTask,
    );
  }
}
