/**
 * Before and after spawning: refuse a URL that already answers, then wait until the child is
 * ready (its heartbeat answers Available and it said so over IPC), or explain why it is not.
 * Both ask the one status probe, with no token: whatever answers before the child does may not be
 * ours, and the heartbeat is public anyway.
 */
import { Pool } from "undici";
import { AlreadyRunningError, LaunchError, LaunchTimeoutError } from "../errors.js";
import { probeHeartbeat } from "../client/probe.js";
import type { ProbeResult } from "../client/probe.js";
import type { ChildServiceProcess } from "./process.js";

const POLL_MS = 25;

/** Rejects with ALREADY_RUNNING when anything answers at `url` (HTTP at all, or a hung socket). */
export async function refuseIfAnswering(url: string): Promise<void> {
  const found = await probeOnce(url, 2_000);
  if (found.httpStatus !== undefined) {
    throw new AlreadyRunningError(
      `Something already answers at ${url} (HTTP ${found.httpStatus})`,
      {
        data: { url, status: found.httpStatus, serverId: found.serverId },
      },
    );
  }
  if (found.error?.code === "REQUEST_TIMEOUT") {
    throw new AlreadyRunningError(`Something accepts connections at ${url} but does not answer`);
  }
  if (found.error && found.error.code !== "SERVICE_UNAVAILABLE") throw found.error;
}

/** What readiness is waited for. */
export interface ReadinessCheck {
  url: string;
  child: ChildServiceProcess;
  timeout: number;
  /** The class name, for messages. */
  name: string;
}

/**
 * Resolves once the child is ready: its heartbeat answers Available (seen from outside) and it
 * said it is ready (every worker listening, registered with its gateway when it has one).
 */
export async function waitUntilReady({ url, child, timeout, name }: ReadinessCheck): Promise<void> {
  const pool = new Pool(url, { connections: 1 });
  const deadline = Date.now() + timeout;
  let available = false;
  try {
    while (Date.now() < deadline) {
      if (!child.running) throw await exitError(name, url, child);
      available ||= answersAvailable(await probeHeartbeat(pool, { timeout: 1_000, origin: url }));
      if (available && child.ready) return;
      await Promise.race([new Promise((r) => setTimeout(r, POLL_MS)), child.exited]);
    }
    const stderr = child.stderrTail();
    throw new LaunchTimeoutError(
      `${name} did not become ready at ${url} within ${timeout} ms${formatTail(stderr)}`,
      { data: { url, stderr } },
    );
  } finally {
    await pool.close();
  }
}

/** Not yet (nothing listens, or it is still starting) is false; anything unexpected throws. */
function answersAvailable(found: ProbeResult): boolean {
  if (found.ok || found.httpStatus !== undefined) return found.ok;
  if (found.error?.retryable) return false;
  throw found.error ?? new LaunchError("The readiness probe failed");
}

async function probeOnce(url: string, timeout: number): Promise<ProbeResult> {
  const pool = new Pool(url, { connections: 1 });
  try {
    return await probeHeartbeat(pool, { timeout, origin: url });
  } finally {
    await pool.close();
  }
}

/** The error of a child that exited before it was ready: what it said, else its stderr. */
async function exitError(
  name: string,
  url: string,
  child: ChildServiceProcess,
): Promise<LaunchError> {
  const how = child.exitSignal ? `signal ${child.exitSignal}` : `code ${child.exitCode}`;
  const stderr = await child.finalStderrTail();
  const failure = child.failure;
  const why = failure ? `: ${failure.code}: ${failure.message}` : "";
  return new LaunchError(
    `${name} exited with ${how} before it was ready at ${url}${why}${formatTail(stderr)}`,
    {
      data: {
        url,
        exitCode: child.exitCode,
        signal: child.exitSignal,
        stderr,
        ...(failure ? { error: failure } : {}),
      },
    },
  );
}

function formatTail(stderr: string[]): string {
  const tail = stderr.filter((l) => l.trim() !== "").slice(-10);
  return tail.length ? `; last stderr lines:\n${tail.join("\n")}` : "";
}
