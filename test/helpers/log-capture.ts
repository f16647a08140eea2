/**
 * Captures a service's or gateway's pino lines: pass `logger()` as its `logger` option and read
 * the parsed lines back.
 */

/** One pino line, parsed. */
export type LogLine = Record<string, unknown> & { level: number; msg?: string };

/** pino's numeric levels. */
export const LEVEL = { trace: 10, debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/** A sink for log lines. */
export interface LogCapture {
  /** The `logger` option that writes here, at `level`. */
  logger(level?: string): Record<string, unknown>;
  readonly lines: LogLine[];
  /** The lines whose message is `msg`. */
  withMsg(msg: string): LogLine[];
}

/** A new capture. */
export function captureLogs(): LogCapture {
  const lines: LogLine[] = [];
  const stream = {
    write(text: string): boolean {
      for (const line of text.split("\n")) if (line !== "") lines.push(JSON.parse(line) as LogLine);
      return true;
    },
  };
  return {
    logger: (level = "debug") => ({ level, stream }),
    lines,
    withMsg: (msg) => lines.filter((line) => line.msg === msg),
  };
}
