/**
 * FaultyService: endpoints that fail or answer oddly on purpose, one per reply the server must
 * shape (crash, invalid output, a thrown catalogue error, nothing, a bare string).
 */
import { z } from "zod";
import { task } from "../../src/contract/task.js";
import { RequestTimeoutError } from "../../src/errors.js";
import { Service } from "../../src/service/service.js";
import type { ServiceOptions } from "../../src/service/service.js";
import { WIRE_ERROR_CLASSES } from "./wire-errors.js";

/** Throws the catalogue error of `code` (a wire code) with `data: { code }`. */
export const failTask = task({ name: "fail", input: z.object({ code: z.string() }) });
/** Throws a plain Error. */
export const crashTask = task({ name: "crash" });
/** Returns a value its own output schema rejects. */
export const badOutputTask = task({ name: "bad_output", output: z.object({ count: z.number() }) });
/** Throws a local (non-wire) error, as a handler whose own call timed out would. */
export const localErrorTask = task({ name: "local_error" });
/** Returns undefined and declares no output. */
export const nothingTask = task({ name: "nothing" });
/** Returns a bare string. */
export const textTask = task({ name: "text", output: z.string() });

/** The contract of FaultyService. */
export const faultyTasks = {
  fail: failTask,
  crash: crashTask,
  bad_output: badOutputTask,
  local_error: localErrorTask,
  nothing: nothingTask,
  text: textTask,
};

/** A service whose endpoints misbehave on request. */
export class FaultyService extends Service {
  static override tasks = faultyTasks;

  constructor(options?: ServiceOptions) {
    super(options);
    this.addEndpoint(failTask, ({ code }) => {
      const Cls = WIRE_ERROR_CLASSES[code];
      if (!Cls) throw new Error(`no wire class for ${code}`);
      throw new Cls(`failing with ${code}`, { data: { code } });
    });
    this.addEndpoint(crashTask, () => {
      throw new Error("handler crashed");
    });
    this.addEndpoint(badOutputTask, () => ({ count: "many" }) as never);
    this.addEndpoint(localErrorTask, () => {
      throw new RequestTimeoutError("a call this handler made timed out");
    });
    this.addEndpoint(nothingTask, () => undefined);
    this.addEndpoint(textTask, () => "plain words");
  }
}
