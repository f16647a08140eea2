// Load generation, always in a separate process: wrk (microsecond latencies) when it is on the
// PATH, otherwise autocannon in a child process for concurrent load plus a hrtime-timed
// sequential undici client for the 1-connection scenario. Results are { rps, p50_ms, p99_ms, ... }.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runCommand } from "./procs.js";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
/** The wrk script: POST $BENCH_BODY (headers from $BENCH_HEADERS), print one "JSON {...}" line. */
export const WRK_SCRIPT = here("../load/wrk-post.lua");
const AUTOCANNON_WORKER = here("../load/autocannon-worker.js");
const SEQUENTIAL = here("../load/sequential.js");

/** The wrk version string, or null when wrk is not on the PATH. */
export function wrkVersion() {
  const res = spawnSync("wrk", ["-v"], { encoding: "utf8", timeout: 5000 });
  if (res.error) return null;
  const match = /wrk\s+(\S+)/.exec(`${res.stdout}${res.stderr}`);
  return match ? match[1] : "unknown";
}

/** Pick the load tool: `forced` ("wrk" | "autocannon") or wrk when available. */
export function chooseLoadTool(forced) {
  const version = wrkVersion();
  if (forced === "wrk" && !version) throw new Error("--load wrk given but wrk is not on the PATH");
  if (forced !== "autocannon" && version) {
    return {
      tool: "wrk",
      version,
      latency_source: "wrk (microseconds; percentiles after wrk's coordinated-omission correction)",
    };
  }
  return {
    tool: "autocannon",
    version: null,
    latency_source:
      "autocannon (concurrent; whole-ms latencies) + hrtime sequential client (1 connection)",
  };
}

/** The "JSON {...}" line a load process printed, parsed; throws when it failed or printed none. */
export function parseJsonLine(name, { code, stdout, stderr }) {
  const line = stdout.split("\n").find((l) => l.startsWith("JSON "));
  if (code !== 0 || !line) {
    throw new Error(`${name} failed (exit ${code}): ${stderr || stdout.slice(-400)}`);
  }
  return JSON.parse(line.slice(5));
}

/** A load process's raw JSON as a result: { rps, p50_ms, p99_ms, requests, errors, non2xx }. */
export function toResult(raw) {
  return {
    rps: raw.rps,
    p50_ms: raw.p50_us / 1000,
    p99_ms: raw.p99_us / 1000,
    requests: raw.requests,
    errors: raw.errors,
    non2xx: raw.non2xx,
  };
}

/**
 * Extra request headers travel to the load process in $BENCH_HEADERS (a JSON object of strings),
 * not on its command line, since they may carry tokens. wrk-post.lua reads them with a pattern,
 * so names and values are restricted to characters that need no JSON escaping.
 */
export function headersEnv(headers) {
  const entries = Object.entries(headers ?? {});
  for (const [name, value] of entries) {
    if (!/^[A-Za-z0-9-]+$/.test(name) || !/^[\x20-\x7e]*$/.test(value) || /["\\]/.test(value)) {
      throw new Error(`load header ${name}: only plain ASCII without quotes or backslashes`);
    }
  }
  return entries.length > 0 ? { BENCH_HEADERS: JSON.stringify(Object.fromEntries(entries)) } : {};
}

/** Run the sequential client (see load/sequential.js) and return its raw JSON. */
export async function runSequential(opts, timeoutMs, headers) {
  const env = { ...process.env, ...headersEnv(headers) };
  const res = await runCommand(process.execPath, [SEQUENTIAL, JSON.stringify(opts)], {
    timeoutMs,
    env,
  });
  return parseJsonLine(`sequential client (${opts.mode})`, res);
}

/**
 * Load `url` with `connections` for `duration` seconds.
 * @param {{ tool: string, url: string, connections: number, duration: number, body: string,
 *   wrkThreads?: number, headers?: Record<string, string> }} o
 */
export async function measure(o) {
  const timeoutMs = (o.duration + 20) * 1000;
  const env = { ...process.env, ...headersEnv(o.headers) };
  if (o.tool === "wrk") {
    const threads = String(Math.min(o.wrkThreads ?? 1, o.connections));
    const args = ["-t", threads, "-c", String(o.connections), "-d", `${o.duration}s`];
    args.push("--timeout", "5s", "-s", WRK_SCRIPT, o.url);
    const wrkEnv = { ...env, BENCH_BODY: o.body };
    return toResult(
      parseJsonLine("wrk", await runCommand("wrk", args, { timeoutMs, env: wrkEnv })),
    );
  }
  if (o.connections === 1) {
    const opts = { mode: "pool", url: o.url, body: o.body, warmup: 0, duration: o.duration };
    return toResult(await runSequential(opts, timeoutMs, o.headers));
  }
  const spec = { url: o.url, connections: o.connections, duration: o.duration, body: o.body };
  const res = await runCommand(process.execPath, [AUTOCANNON_WORKER, JSON.stringify(spec)], {
    timeoutMs,
    env,
  });
  return toResult(parseJsonLine("autocannon", res));
}
