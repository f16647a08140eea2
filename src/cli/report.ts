/**
 * How the CLI reports a failure: one line `error <CODE>: <message>` on stderr and an exit code
 * (2 for usage errors, 1 for everything else); stack, causes and error data only with `--verbose`.
 */
import { CommanderError } from "commander";
import { PorticoError } from "../index.js";
import type { ErrorCode } from "../index.js";
import { writeLine } from "./io.js";
import type { TextSink } from "./io.js";

/** Exit code of a failed run whose error came from the library, a server or the network. */
const EXIT_RUNTIME = 1;
/** Exit code of a command line that could not be understood. */
const EXIT_USAGE = 2;

/** The code shown for command lines commander rejects: the catalogue's code for bad options. */
const USAGE_CODE: ErrorCode = "INVALID_OPTIONS";

/** What `reportError` needs besides the error. */
export interface ReportContext {
  stderr: TextSink;
  verbose: boolean;
  /** The subcommand being run, for the `--help` hint of usage errors. */
  command?: string | undefined;
}

/** Writes the error report and returns the exit code. */
export function reportError(error: unknown, context: ReportContext): number {
  if (error instanceof CommanderError) return reportUsage(error, context);
  const code = errorCode(error);
  writeLine(context.stderr, `error ${code}: ${firstLine(messageOf(error))}`);
  if (context.verbose) writeDetails(error, context.stderr);
  return code === USAGE_CODE ? EXIT_USAGE : EXIT_RUNTIME;
}

function reportUsage(error: CommanderError, context: ReportContext): number {
  // --help and --version end this way too, after printing what was asked.
  if (error.exitCode === 0) return 0;
  // Help shown because a command was missing: the help itself is the message.
  if (error.code === "commander.help") return EXIT_USAGE;
  const message = error.message.replace(/^error: /, "").replace(/\s*\n\s*/g, " ");
  const help = context.command ? `portico ${context.command} --help` : "portico --help";
  writeLine(context.stderr, `error ${USAGE_CODE}: ${message} (see: ${help})`);
  return EXIT_USAGE;
}

/** The catalogue code of a Portico error, the system code of a Node error, or `ERROR`. */
function errorCode(error: unknown): string {
  if (error instanceof PorticoError) return error.code;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^[A-Z][A-Z0-9_]*$/.test(code) ? code : "ERROR";
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function firstLine(text: string): string {
  const line = text.split("\n", 1)[0]?.trim() ?? "";
  return line === "" ? "(no message)" : line;
}

function writeDetails(error: unknown, stderr: TextSink): void {
  let current: unknown = error;
  for (let depth = 0; current !== undefined && depth < 5; depth++) {
    if (depth > 0) writeLine(stderr, "caused by:");
    writeLine(
      stderr,
      current instanceof Error ? (current.stack ?? current.message) : toJson(current),
    );
    const data = current instanceof PorticoError ? current.data : undefined;
    if (data !== undefined) writeLine(stderr, `data: ${toJson(data)}`);
    current = current instanceof Error ? current.cause : undefined;
  }
}

function toJson(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2);
  } catch {
    return String(value); // circular or BigInt: still say something
  }
}
