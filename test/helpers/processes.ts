/**
 * Process helpers for e2e tests (Linux /proc): live children of a process, whether a pid still runs
 * (a zombie does not: an orphan's zombie may never be reaped in a container), and node scripts run
 * through tsx whose first stdout line a test waits for.
 */
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { waitFor } from "./fixtures.js";

/** Parent pid and state letter of `pid`, or undefined when it no longer exists. */
function stat(pid: number): { ppid: number; state: string } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name may hold spaces and parentheses: the fields after the last ")" are fixed.
    const [state, ppid] = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { ppid: Number(ppid), state: state ?? "" };
  } catch {
    return undefined;
  }
}

/** True while `pid` runs (false once it exited, even if nobody has reaped it yet). */
export function isRunning(pid: number): boolean {
  const state = stat(pid)?.state;
  return state !== undefined && state !== "Z" && state !== "X";
}

/**
 * Pids of the running children of `pid`, optionally only those running `command` (e.g. "node",
 * leaving out helpers such as tsx's esbuild). Unlike `childPids()` from fixtures it spawns nothing,
 * so it does not count itself (`ps` lists its own process among the children it reports).
 */
export function liveChildPids(pid = process.pid, command?: string): number[] {
  return readdirSync("/proc")
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((child) => stat(child)?.ppid === pid && isRunning(child))
    .filter((child) => command === undefined || commandOf(child) === command)
    .sort((a, b) => a - b);
}

function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** Waits (bounded) until the test process has no running children left, and says so. */
export async function expectNoChildProcesses(): Promise<void> {
  await waitFor(() => liveChildPids().length === 0, 5_000);
  expect(liveChildPids()).toEqual([]);
}

/** Sends SIGKILL to each pid that still runs (cleanup after a failed test). */
export function killIfRunning(...pids: (number | undefined)[]): void {
  for (const pid of pids) {
    if (pid !== undefined && isRunning(pid)) process.kill(pid, "SIGKILL");
  }
}

/** A node script started through tsx. */
export interface Script {
  child: ChildProcess;
  /** The first line the script prints on stdout. */
  firstLine: Promise<string>;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** Runs `node --import tsx <file> ...args` where `file` is relative to `base` (an import.meta.url). */
export function runTsScript(file: string, base: string, args: string[] = []): Script {
  const path = fileURLToPath(new URL(file, base));
  const child = spawn(process.execPath, ["--import", "tsx", path, ...args], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  const firstLine = new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      out += chunk;
      if (out.includes("\n")) resolve(out.slice(0, out.indexOf("\n")));
    });
    void exited.then((code) => reject(new Error(`${file} exited (${code}) first: ${stderr}`)));
  });
  return { child, firstLine, exited };
}
