/**
 * One poll loop per SQLite registry, shared by its watchers: other processes write the same file
 * and SQLite cannot notify, so while anyone watches, the newest revision is read every few
 * milliseconds (one indexed read of one row) and the watchers it concerns are woken.
 */

interface Waiter {
  at: number;
  done: () => void;
}

/** Wakes waiters when the revision read moves away from the one they have seen. */
export class RevisionPoller {
  private readonly waiters = new Set<Waiter>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly read: () => number,
    private readonly intervalMs: number,
  ) {}

  /** Resolves once the revision differs from `at`, on `wakeAll()`, or when `signal` aborts. */
  wait(at: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const waiter: Waiter = {
        at,
        done: () => {
          this.waiters.delete(waiter);
          signal.removeEventListener("abort", waiter.done);
          if (this.waiters.size === 0) this.stop();
          resolve();
        },
      };
      this.waiters.add(waiter);
      signal.addEventListener("abort", waiter.done, { once: true });
      this.timer ??= setInterval(() => this.tick(), this.intervalMs);
    });
  }

  /** Wakes every waiter (a local commit, or the registry closing). */
  wakeAll(): void {
    for (const waiter of [...this.waiters]) waiter.done();
  }

  private tick(): void {
    let revision: number;
    try {
      revision = this.read();
    } catch {
      return; // A transient read failure: the next tick tries again.
    }
    for (const waiter of [...this.waiters]) if (waiter.at !== revision) waiter.done();
  }

  private stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
