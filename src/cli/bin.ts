#!/usr/bin/env node
/**
 * The `portico` executable. The only place that touches the process: its argv, streams, exit
 * code and signals (SIGINT/SIGTERM ask a running server to close; a second one exits at once).
 */
import { runCli } from "./program.js";

function onStop(listener: () => void): () => void {
  let received = 0;
  const handler = (signal: NodeJS.Signals): void => {
    // Graceful close waits for in-flight calls; a second signal means "do not wait".
    if (++received > 1) process.exit(signal === "SIGINT" ? 130 : 143);
    listener();
  };
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  return () => {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  };
}

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  onStop,
});
