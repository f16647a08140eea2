/**
 * EchoService: the seed's sample, used by the demo, the docs and the tests. `echo` returns the
 * message, after `delay` seconds when asked (to try timeouts). Its contract lives in
 * `contract.ts`, which clients import instead of this class.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { Service } from "../service/service.js";
import type { ServiceOptions } from "../service/service.js";
import { echoTask, echoTasks } from "./contract.js";

export { echoTask } from "./contract.js";

/** A service with one endpoint, `echo`. */
export class EchoService extends Service {
  static override tasks = echoTasks;
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
