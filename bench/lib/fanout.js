// Fan-out figure (issue 7, bench point 3): one gateway process (memory registry) with
// `subscribers` raw /events readers in one load process (bench/load/sse-fanout.js); per
// repetition one app is registered and the time runs from the register_app request until each
// reader has its app_registered. The open-file limit is the process's default (`ulimit -n`,
// never raised): with fewer descriptors than subscribers + 64, the figure uses fewer readers
// and says so.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { runCommand, startServer, stopChild } from "./procs.js";
import { median, round } from "./stats.js";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const GATEWAY = here("../servers/portico-gateway.js");
const READERS = here("../load/sse-fanout.js");
const firstLine = (err) => String(err?.message ?? err).split("\n")[0];

/** The soft open-file limit of processes started from here, or null when unknown. */
export function openFileLimit() {
  const res = spawnSync("sh", ["-c", "ulimit -n"], { encoding: "utf8", timeout: 5000 });
  const text = res.stdout?.trim();
  if (text === "unlimited") return Infinity;
  const n = Number(text);
  return Number.isInteger(n) && n > 0 ? n : null;
}

/**
 * `o`: { subscribers, reps, warmup, appUrl, log }. Never throws: a failure becomes
 * { status: "error", error }.
 */
export async function fanoutFigures(o) {
  const t0 = performance.now();
  const limit = openFileLimit();
  const subscribers = limit === null ? o.subscribers : Math.min(o.subscribers, limit - 64);
  const out = {
    status: "ok",
    subscribers_asked: o.subscribers,
    subscribers,
    open_file_limit: limit === Infinity ? "unlimited" : limit,
    reps: o.reps,
    warmup_reps: o.warmup,
    registry: "memory://",
    readers: "one load process, one node:http socket per reader (bench/load/sse-fanout.js)",
    note:
      subscribers < o.subscribers
        ? `ulimit -n is ${limit}: ${subscribers} readers (the limit is not raised)`
        : null,
  };
  let gateway;
  try {
    gateway = await startServer("portico gateway (fan-out)", GATEWAY, ["--registry", "memory://"]);
    const spec = { gateway: gateway.url, app: o.appUrl, subscribers, reps: o.reps };
    spec.warmup = o.warmup;
    const timeoutMs = 60_000 + (o.reps + o.warmup) * 35_000;
    const res = await runCommand(process.execPath, [READERS, JSON.stringify(spec)], { timeoutMs });
    const line = res.stdout.split("\n").find((l) => l.startsWith("JSON "));
    if (res.code !== 0 || !line) throw new Error(`sse-fanout exited ${res.code}: ${res.stderr}`);
    const raw = JSON.parse(line.slice(5));
    Object.assign(out, {
      connect_all_ms: raw.connect_all_ms,
      p50_ms: raw.pooled.p50_ms,
      p99_ms: raw.pooled.p99_ms,
      max_ms: raw.pooled.max_ms,
      per_rep_p99_median_ms: round(median(raw.reps.map((r) => r.p99_ms)), 2),
      per_rep_p99_max_ms: round(Math.max(...raw.reps.map((r) => r.p99_ms)), 2),
      spread_median_ms: round(median(raw.reps.map((r) => r.spread_ms)), 2),
      register_reply_median_ms: round(median(raw.reps.map((r) => r.register_reply_ms)), 2),
      by_rep: raw.reps,
    });
    o.log(
      `  ${subscribers} subscribers (all open in ${raw.connect_all_ms} ms), ${o.reps} reps: ` +
        `register_app sent -> each has app_registered: p50 ${out.p50_ms} ms, ` +
        `p99 ${out.p99_ms} ms, max ${out.max_ms} ms; first-to-last spread (median) ` +
        `${out.spread_median_ms} ms`,
    );
  } catch (err) {
    out.status = "error";
    out.error = firstLine(err);
    o.log(`  fan-out failed: ${out.error}`);
  } finally {
    if (gateway) await stopChild(gateway.child);
  }
  out.elapsed_s = round((performance.now() - t0) / 1000, 1);
  return out;
}
