/**
 * What the CLI talks to: two text streams and a source of stop requests. `bin.ts` wires them to
 * the process (stdout, stderr, SIGINT/SIGTERM); tests pass their own to run commands in-process.
 */

/** Anything with a `write(text)`: a stream, or a test's string collector. */
export interface TextSink {
  write(text: string): unknown;
}

/** The CLI's surroundings. */
export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  /**
   * Subscribes to stop requests (SIGINT/SIGTERM in `bin.ts`) and returns the unsubscribe
   * function. Only the long-running commands subscribe, so a client command keeps the default
   * Ctrl-C behaviour. Without it a server runs until its `shutdown` endpoint is called.
   */
  onStop?: (listener: () => void) => () => void;
}

/** The io of the current process, without stop requests (`bin.ts` adds those). */
export function processIo(): CliIo {
  return { stdout: process.stdout, stderr: process.stderr };
}

/** Writes `text` and a newline. */
export function writeLine(sink: TextSink, text: string): void {
  sink.write(`${text}\n`);
}

/**
 * Resolves with `"stop"` on the first stop request, or with `"closed"` when `closed` settles
 * first (a `shutdown` call, or a launched process that exited); unsubscribes either way.
 */
export async function untilStopOrClosed(
  io: CliIo,
  closed: Promise<unknown>,
): Promise<"stop" | "closed"> {
  let unsubscribe: (() => void) | undefined;
  const stopped = new Promise<"stop">((resolve) => {
    unsubscribe = io.onStop?.(() => resolve("stop"));
  });
  try {
    return await Promise.race([stopped, closed.then(() => "closed" as const)]);
  } finally {
    unsubscribe?.();
  }
}
