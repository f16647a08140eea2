/**
 * The logger of a service or gateway, from its options: pino (fastify's logger), structured JSON.
 * Quiet by default: no logger unless `logger`, `logLevel` or `$PORTICO_LOG_LEVEL` asks for one.
 */
import { destination as toDestination, pino } from "pino";
import type { DestinationStream, Logger, LoggerOptions } from "pino";
import { InvalidOptionsError } from "../errors.js";

/** The levels `logLevel`, `$PORTICO_LOG_LEVEL` and `--log-level` accept, loudest first. */
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

/** One of `LOG_LEVELS`. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The logging options of a service (see ServiceOptions). */
export interface LogOptions {
  logger?: boolean | Record<string, unknown>;
  logLevel?: LogLevel;
}

/** True when `value` is one of `LOG_LEVELS`. */
export function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === "string" && (LOG_LEVELS as readonly string[]).includes(value);
}

/**
 * The logger `options` ask for, or undefined for none. `logLevel` turns it on at that level
 * (over `logger`'s pino options when it has some); `logger: false` turns it off, unless
 * `logLevel` is given; with neither, `$PORTICO_LOG_LEVEL` decides. Like fastify, pino options
 * may name a `stream` (any object with `write`) or a `file` (a path or a file descriptor).
 */
export function createLogger(options: LogOptions): Logger | undefined {
  const { logger, logLevel } = options;
  if (logLevel !== undefined) {
    checkLevel(logLevel, "logLevel");
    return makeLogger({ ...(typeof logger === "object" ? logger : {}), level: logLevel });
  }
  if (logger === false) return undefined;
  if (logger === true) return makeLogger({});
  if (logger !== undefined) return makeLogger(logger);
  const level = process.env.PORTICO_LOG_LEVEL;
  if (level === undefined || level === "") return undefined;
  checkLevel(level, "$PORTICO_LOG_LEVEL");
  return makeLogger({ level });
}

function checkLevel(level: unknown, name: string): asserts level is LogLevel {
  if (!isLogLevel(level)) {
    throw new InvalidOptionsError(`${name} must be one of ${LOG_LEVELS.join(", ")}`, {
      data: { [name]: level },
    });
  }
}

function makeLogger(options: Record<string, unknown>): Logger {
  const { stream, file, ...rest } = options as {
    stream?: DestinationStream;
    file?: string | number;
  } & Record<string, unknown>;
  if (stream !== undefined && file !== undefined) {
    throw new InvalidOptionsError("logger: give a stream or a file, not both");
  }
  const settings = { level: "info", ...rest } as LoggerOptions;
  const target = stream ?? (file === undefined ? undefined : toDestination(file));
  return target === undefined ? pino(settings) : pino(settings, target);
}
