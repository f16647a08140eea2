/**
 * A bounded load through a gateway for process tests: concurrent request loops over one
 * keep-alive pool, each request with a client deadline (a hung request fails the test instead of
 * hanging it), stopped by `stop()`, a request count or a time limit, whichever comes first.
 */
import type { Pool } from "undici";
import { expectNoChildProcesses, killIfRunning, liveChildPids } from "./processes.js";

/** Client deadline of every request: longer than any server-side timeout, so hitting it is a hang. */
export const CLIENT_DEADLINE = 10_000;

/** What one request got: its status and error code, or how it failed on the client side. */
export interface Outcome {
  status: number;
  code?: string;
  /** The request failed on the client side (its deadline, or the connection to the gateway). */
  failed?: string;
}

/** POSTs JSON through `pool` with a client deadline; never throws. */
export async function postOutcome(pool: Pool, path: string, body: unknown): Promise<Outcome> {
  try {
    const res = await pool.request({
      method: "POST",
      path,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(CLIENT_DEADLINE),
    });
    const text = await res.body.text();
    if (res.statusCode === 200) return { status: 200 };
    const parsed = JSON.parse(text) as { error?: { code?: string } };
    return { status: res.statusCode, ...(parsed.error?.code ? { code: parsed.error.code } : {}) };
  } catch (error) {
    return { status: 0, failed: (error as { code?: string }).code ?? (error as Error).name };
  }
}

/** A running load. */
export interface Load {
  outcomes: Outcome[];
  readonly ok: number;
  readonly errors: number;
  stop(): Promise<Outcome[]>;
}

/**
 * `loops` concurrent request loops until `stop()`, at most `maxRequests` requests or `maxMs` in
 * all. A loop that gets an error waits 20 ms before its next request, so a dead upstream does
 * not turn the load into a busy spin.
 */
export function startLoad(
  pool: Pool,
  path: string,
  loops: number,
  maxRequests: number,
  maxMs: number,
): Load {
  const outcomes: Outcome[] = [];
  const deadline = Date.now() + maxMs;
  let stopped = false;
  const loop = async (id: number): Promise<void> => {
    for (let i = 0; !stopped && outcomes.length < maxRequests && Date.now() < deadline; i++) {
      const outcome = await postOutcome(pool, path, { message: `${id}-${i}` });
      outcomes.push(outcome);
      if (outcome.status !== 200) await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const running = Promise.all(Array.from({ length: loops }, (_, id) => loop(id)));
  return {
    outcomes,
    get ok() {
      return outcomes.filter((o) => o.status === 200).length;
    },
    get errors() {
      return outcomes.filter((o) => o.status !== 200).length;
    },
    async stop() {
      stopped = true;
      await running;
      return outcomes;
    },
  };
}

/**
 * Stops a gateway launched as a child process and the pool a test held to it, then checks that
 * no child process is left (afterAll of the process tests).
 */
export async function stopLaunched(
  gw:
    { shutdown(options: { grace: number }): Promise<unknown>; close(): Promise<void> } | undefined,
  pool: Pool | undefined,
): Promise<void> {
  await pool?.close();
  await gw?.shutdown({ grace: 5_000 }).catch(() => undefined);
  await gw?.close();
  killIfRunning(...liveChildPids());
  await expectNoChildProcesses();
}
