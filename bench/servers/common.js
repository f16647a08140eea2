// Shared helpers for the benchmark server processes: flag parsing, the "READY <url>" handshake
// with the harness, and shutdown on SIGTERM/SIGINT or when the harness's stdin pipe closes.
import { parseArgs } from "node:util";

/** Parse `--name value` flags (string options) and the `switches` (`--name`, boolean). */
export function flags(names, switches = []) {
  const options = Object.fromEntries(names.map((n) => [n, { type: "string" }]));
  for (const n of switches) options[n] = { type: "boolean" };
  return parseArgs({ options, allowPositionals: false, strict: true }).values;
}

/** Require a flag, exiting with a clear message when it is missing. */
export function required(values, name) {
  const value = values[name];
  if (value === undefined || value === "") fail(`missing required flag --${name}`);
  return value;
}

/** Tell the harness we are listening. Must be the only thing these scripts print on stdout. */
export function ready(url) {
  process.stdout.write(`READY ${url}\n`);
}

/** Print an error to stderr (the harness shows the tail of it) and exit non-zero. */
export function fail(message, err) {
  process.stderr.write(`${message}${err ? `: ${err.stack ?? err}` : ""}\n`);
  process.exit(1);
}

/**
 * Run `close` once on SIGTERM, SIGINT or when stdin ends (the harness died), then exit.
 * The harness spawns us with a piped stdin precisely so that an orphaned server goes away.
 */
export function onShutdown(close) {
  let closing = false;
  const stop = async () => {
    if (closing) return;
    closing = true;
    const force = setTimeout(() => process.exit(0), 3000);
    force.unref();
    try {
      await close();
    } catch (err) {
      process.stderr.write(`error while closing: ${err.stack ?? err}\n`);
    }
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
  process.stdin.on("end", stop);
  process.stdin.on("error", stop);
  process.stdin.resume();
}

/** Run an async main, turning any startup error into a non-zero exit with a message. */
export function main(name, fn) {
  fn().catch((err) => fail(`${name} failed to start`, err));
}
