// Child-process bookkeeping for the harness: start a script with process.execPath, wait for its
// "READY <url>" line, and make sure every child is gone at the end, on error, on Ctrl+C and on
// the global deadline. Children get a piped stdin so that they exit if the harness dies.
import { spawn, spawnSync } from "node:child_process";
import { setTimeout as sleep } from "node:timers/promises";

const children = new Set();
let stopping = false;
/** The affinity list this process had before pinCpus() narrowed it (null: never pinned). */
let originalCpus = null;

function refuseWhenStopping(what) {
  if (stopping) throw new Error(`not starting ${what}: the harness is stopping`);
}

function tail(text, max = 600) {
  const trimmed = text.trim();
  return trimmed.length > max ? `...${trimmed.slice(-max)}` : trimmed;
}

/**
 * Spawn `node script ...args` and resolve to { name, url, child } once it prints READY.
 * Rejects (and kills the child) if it exits first or is not ready within `timeoutMs`.
 * `env` replaces the inherited environment (tokens go there, never on the command line).
 */
export function startServer(name, script, args = [], timeoutMs = 20_000, env = process.env) {
  refuseWhenStopping(name);
  const child = spawn(process.execPath, [script, ...args], {
    stdio: ["pipe", "pipe", "pipe"],
    env,
  });
  children.add(child);
  let stderr = "";
  let stdout = "";
  child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-8000)));
  child.once("exit", () => children.delete(child));
  return new Promise((resolve, reject) => {
    const fail = (why) => {
      clearTimeout(timer);
      stopChild(child);
      reject(new Error(`${name}: ${why}${stderr ? `\n${tail(stderr)}` : ""}`));
    };
    const timer = setTimeout(() => fail(`not ready after ${timeoutMs} ms`), timeoutMs);
    child.once("error", (err) => fail(err.message));
    child.once("exit", (code, signal) => fail(`exited (${signal ?? code}) before READY`));
    child.stdout.on("data", (d) => {
      stdout += d;
      const match = /^READY (\S+)$/m.exec(stdout);
      if (!match) return;
      clearTimeout(timer);
      child.removeAllListeners("exit");
      child.once("exit", () => children.delete(child));
      child.stdout.removeAllListeners("data");
      child.stdout.resume();
      resolve({ name, url: match[1], child });
    });
  });
}

/**
 * Run a short-lived command to completion, capturing stdout; killed after `timeoutMs`.
 * Resolves to { code, stdout, stderr }.
 */
export function runCommand(command, args, { timeoutMs, env } = {}) {
  refuseWhenStopping(command);
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env });
  children.add(child);
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr = (stderr + d).slice(-8000)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stopChild(child);
      reject(new Error(`${command} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.once("error", (err) => {
      clearTimeout(timer);
      children.delete(child);
      reject(err);
    });
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code: code ?? signal, stdout, stderr: tail(stderr) });
    });
  });
}

/** SIGTERM a child, then SIGKILL it if it is still alive after `graceMs`. */
export async function stopChild(child, graceMs = 2500) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  const timedOut = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
  if (timedOut) child.kill("SIGKILL");
  children.delete(child);
}

/**
 * Track a child started elsewhere (redis-server) so that stopAll() and the exit handler stop it
 * too; it leaves the set when it exits.
 */
export function adopt(child) {
  refuseWhenStopping("a child process");
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** Stop every child still running. */
export async function stopAll() {
  stopping = true;
  await Promise.all([...children].map((c) => stopChild(c)));
}

/**
 * Install the last-resort handlers: on Ctrl+C/SIGTERM stop children and exit 130/143; on exit
 * SIGKILL anything left; after `deadlineMs` give up, stop everything and exit 1.
 */
export function installCleanup(deadlineMs) {
  const bail = (code, why) => {
    process.stderr.write(`\n${why}: stopping child processes\n`);
    stopAll().finally(() => process.exit(code));
  };
  process.once("SIGINT", () => bail(130, "interrupted"));
  process.once("SIGTERM", () => bail(143, "terminated"));
  process.once("exit", () => {
    for (const child of children) child.kill("SIGKILL");
  });
  const deadline = setTimeout(
    () => bail(1, `benchmark exceeded its ${Math.round(deadlineMs / 1000)} s time bound`),
    deadlineMs,
  );
  deadline.unref();
}

/**
 * Pin this process (all its threads) to `cpus` (taskset list syntax) so that every child
 * inherits it: the load generator and all servers then share those CPUs. Returns a description
 * for the results, or throws when pinning was asked for explicitly and is impossible.
 */
export function pinCpus(cpus, explicit) {
  if (cpus === "none") return "none (OS scheduling)";
  originalCpus ??= affinityList();
  const res = spawnSync("taskset", ["-a", "-p", "-c", cpus, String(process.pid)], {
    encoding: "utf8",
    timeout: 5000,
  });
  if (res.error || res.status !== 0) {
    const why = res.error?.message ?? res.stderr.trim();
    if (explicit) throw new Error(`cannot pin to CPU ${cpus}: ${why}`);
    return `none (taskset unavailable: ${why})`;
  }
  return `all benchmark processes on CPU ${cpus} (taskset)`;
}

/** This process's CPU affinity list ("0,1", "0-3"), or null when taskset cannot tell. */
function affinityList() {
  const res = spawnSync("taskset", ["-c", "-p", String(process.pid)], {
    encoding: "utf8",
    timeout: 5000,
  });
  if (res.error || res.status !== 0) return null;
  return /list:\s*(\S+)/.exec(res.stdout)?.[1] ?? null;
}

/**
 * Give this process (all its threads) back the CPUs it had before pinCpus(), so that children
 * spawned from now on are scheduled by the OS on every CPU; pinCpus(cpus) narrows it again.
 * Returns a description for the results.
 */
export function unpinCpus() {
  if (originalCpus === null) return "none (OS scheduling: never pinned)";
  const res = spawnSync("taskset", ["-a", "-p", "-c", originalCpus, String(process.pid)], {
    encoding: "utf8",
    timeout: 5000,
  });
  if (res.error || res.status !== 0) {
    throw new Error(`cannot unpin: ${res.error?.message ?? res.stderr.trim()}`);
  }
  return `none: OS scheduling on CPUs ${originalCpus}`;
}
