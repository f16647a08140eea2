/**
 * A spawned service process: its stderr tail (for error messages), exit tracking, what it says
 * over IPC (ready, or why it failed), the stop ladder (SIGTERM, then SIGKILL after a grace
 * period), and cleanup when the launching process exits.
 */
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import type { ManagedProcess } from "../client/connection-manager.js";
import { READY_MESSAGE, isFailedMessage } from "./config.js";
import type { FailedMessage } from "./config.js";

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Synchronous last resort; the child also stops by itself when its IPC channel to us closes,
  // which covers a launching process that is killed without running exit hooks.
  process.once("exit", () => {
    for (const child of live) child.kill("SIGTERM");
  });
}

/** Wraps a child process as a `ManagedProcess` that keeps the last lines of its stderr. */
export class ChildServiceProcess implements ManagedProcess {
  readonly exited: Promise<void>;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  /** True once the process said it is ready: serving (every worker listening) and registered. */
  ready = false;
  /** Why the process could not start, as it said before exiting. */
  failure: FailedMessage["error"] | undefined;
  /** Resolves when stderr has closed: after `exit`, its last lines may still be on the way. */
  private readonly stderrClosed: Promise<void>;
  private readonly tail: string[] = [];
  private partial = "";

  constructor(
    private readonly child: ChildProcess,
    private readonly tailLines = 40,
  ) {
    live.add(child);
    installExitHook();
    child.stderr?.setEncoding("utf8");
    child.stderr?.on("data", (chunk: string) => this.collect(chunk));
    child.on("message", (message) => {
      if (message === READY_MESSAGE) this.ready = true;
      else if (isFailedMessage(message)) this.failure = message.error;
    });
    this.stderrClosed = child.stderr
      ? once(child.stderr, "close").then(
          () => undefined,
          () => undefined,
        )
      : Promise.resolve();
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        live.delete(child);
        resolve();
      });
      // A spawn that fails (EAGAIN, ENOMEM) emits `error` and maybe never `exit`: count it as an
      // exit, so that launch fails at once and stop() does not wait forever; an unhandled
      // `error` would crash the launching process.
      child.on("error", (error) => {
        this.tail.push(`spawn error: ${error.message}`);
        if (child.pid === undefined && this.exitCode === null) {
          this.exitCode = -1;
          live.delete(child);
          resolve();
        }
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.exitCode === null && this.exitSignal === null;
  }

  /** The last lines the process wrote to stderr. */
  stderrTail(): string[] {
    return this.partial ? [...this.tail, this.partial] : [...this.tail];
  }

  /**
   * The last stderr lines of an exited process, once its stderr has closed (Node may emit `exit`
   * before the last chunks are read). Bounded: a surviving grandchild could hold stderr open.
   */
  async finalStderrTail(waitMs = 500): Promise<string[]> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
    await Promise.race([this.stderrClosed, limit]);
    clearTimeout(timer);
    return this.stderrTail();
  }

  /** Lets the launching process exit while this child runs (the child stops when we go). */
  detachFromEventLoop(): void {
    this.child.unref();
    this.child.channel?.unref();
    for (const stream of [this.child.stdout, this.child.stderr]) {
      (stream as unknown as { unref?: () => void } | null)?.unref?.();
    }
  }

  async stop(graceMs: number): Promise<boolean> {
    if (!this.running) return true;
    this.child.kill("SIGTERM");
    if (await this.exitedWithin(graceMs)) return true;
    this.child.kill("SIGKILL");
    await this.exited;
    return false;
  }

  private async exitedWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const result = await Promise.race([this.exited.then(() => true as const), timeout]);
    clearTimeout(timer);
    return result;
  }

  private collect(chunk: string): void {
    const lines = (this.partial + chunk).split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) {
      this.tail.push(line);
      if (this.tail.length > this.tailLines) this.tail.shift();
    }
  }
}
