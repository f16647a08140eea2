// How a benchmark script starts and ends, in one place: options parsed (a usage error exits 2
// with the usage), then `main(opts, shared)` with the shared resources, every server process
// stopped afterwards, and the exit code set whatever happened.
import { parseOptions, USAGE } from "./options.js";
import { stopAll } from "./procs.js";
import { createShared } from "./shared.js";

/** The parsed command line, or exit 2 with the error and the usage. */
export function optionsOrExit() {
  try {
    return parseOptions();
  } catch (err) {
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    process.exit(2);
  }
}

/** Runs `main(opts, shared)`, stops every process it started, and exits 0 or 1. */
export function runBench(main, opts) {
  const shared = createShared();
  main(opts, shared)
    .finally(() => shared.close())
    .then(() => stopAll())
    .then(() => process.exit(0))
    .catch(async (err) => {
      process.stderr.write(`bench failed: ${err.stack ?? err}\n`);
      await stopAll();
      process.exit(1);
    });
}
