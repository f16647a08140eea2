/**
 * `--log-level` of the server commands. Logs go to stderr: stdout carries the `Serving <Class>
 * at <url>` line that scripts read, and nothing else.
 */
import { Option } from "commander";
import type { Command } from "commander";
import { LOG_LEVELS } from "../index.js";
import type { LogLevel } from "../index.js";
import type { CliIo } from "./io.js";

/** What `--log-level` parses into. */
export interface LogFlags {
  logLevel: LogLevel;
}

/** Adds `--log-level <level>` (or `$PORTICO_LOG_LEVEL`; info by default) to a server command. */
export function addLogOption(command: Command): Command {
  return command.addOption(
    new Option(
      "--log-level <level>",
      "JSON log lines on stderr from this level up (debug: one line per request)",
    )
      .choices(LOG_LEVELS)
      .env("PORTICO_LOG_LEVEL")
      .default("info"),
  );
}

/** The logger option of a server run in this process: lines on the CLI's stderr. */
export function inProcessLogger(flags: LogFlags, io: CliIo): { logger: Record<string, unknown> } {
  return { logger: { level: flags.logLevel, stream: io.stderr } };
}

/** The logger option of launched workers (plain JSON): their fd 2 is the CLI's stderr. */
export function workerLogger(flags: LogFlags): { logger: Record<string, unknown> } {
  return { logger: { level: flags.logLevel, file: 2 } };
}
