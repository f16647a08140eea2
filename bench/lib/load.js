// Load generation, always in a separate process: wrk (microsecond latencies) when it is on the
// PATH, otherwise autocannon in a child process for concurrent load plus a hrtime-timed
// sequential undici client for the 1-connection scenario. Results are { rps, p50_ms, p99_ms, ... }.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runCommand } from "./procs.js";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const WRK_SCRIPT = here("../load/wrk-post.lua");
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

function parseJsonLine(name, { code, stdout, stderr }) {
  const line = stdout.split("\n").find((l) => l.startsWith("JSON "));
  if (code !== 0 || !line) {
    throw new Error(`${name} failed (exit ${code}): ${stderr || stdout.slice(-400)}`);
  }
  return JSON.parse(line.slice(5));
}

function toResult(raw) {
  return {
    rps: raw.rps,
    p50_ms: raw.p50_us / 1000,
    p99_ms: raw.p99_us / 1000,
    requests: raw.requests,
    errors: raw.errors,
  };
}

/** Run the sequential client (see load/sequential.js) and return its raw JSON. */
export async function runSequential(opts, timeoutMs) {
  const res = await runCommand(process.execPath, [SEQUENTIAL, JSON.stringify(opts)], { timeoutMs });
  return parseJsonLine(`sequential client (${opts.mode})`, res);
}

/**
 * Load `url` with `connections` for `duration` seconds.
 * @param {{ tool: string, url: string, connections: number, duration: number, body: string,
 *   wrkThreads?: number }} o
 */
export async function measure(o) {
  const timeoutMs = (o.duration + 20) * 1000;
  if (o.tool === "wrk") {
    const threads = String(Math.min(o.wrkThreads ?? 1, o.connections));
    const args = ["-t", threads, "-c", String(o.connections), "-d", `${o.duration}s`];
    args.push("--timeout", "5s", "-s", WRK_SCRIPT, o.url);
    const env = { ...process.env, BENCH_BODY: o.body };
    return toResult(parseJsonLine("wrk", await runCommand("wrk", args, { timeoutMs, env })));
  }
  if (o.connections === 1) {
    const opts = { mode: "pool", url: o.url, body: o.body, warmup: 0, duration: o.duration };
    return toResult(await runSequential(opts, timeoutMs));
  }
  const spec = { url: o.url, connections: o.connections, duration: o.duration, body: o.body };
  const res = await runCommand(process.execPath, [AUTOCANNON_WORKER, JSON.stringify(spec)], {
    timeoutMs,
  });
  return toResult(parseJsonLine("autocannon", res));
}
