// Figures beyond gateway throughput (issue points 2-4): per-call cost of the Portico typed client
// against undici.request and fetch; discovery (bench/lib/discovery.js); EchoService.launch().
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { measureDiscovery } from "./discovery.js";
import { runSequential } from "./load.js";
import { launchEcho } from "./portico.js";
import { ENDPOINTS_PER_APP } from "./portico-wide.js";
import { median, round } from "./stats.js";

export const CLIENT_MODES = [
  { key: "portico_client", mode: "portico", label: "Portico typed client" },
  { key: "undici_request", mode: "undici-request", label: "undici.request" },
  { key: "fetch", mode: "fetch", label: "global fetch" },
];

/**
 * Sequential calls (one at a time) on the same endpoint, the three clients interleaved for
 * `rounds` rounds; per-call microseconds are the medians of the per-round figures. With
 * `warmupAll` false (quick runs) the discarded round 0 runs the first client only: it warms the
 * server endpoint up all the same, and each measured run warms its own process up anyway.
 */
export async function clientFigures({ url, body, rounds, calls, warmup, warmupAll = true, log }) {
  const perRound = Object.fromEntries(CLIENT_MODES.map((m) => [m.key, []]));
  const errors = {};
  // Round 0 warms the endpoint up and is discarded.
  for (let r = 0; r <= rounds; r++) {
    for (const m of CLIENT_MODES) {
      if (errors[m.key] || (r === 0 && !warmupAll && m !== CLIENT_MODES[0])) continue;
      try {
        const raw = await runSequential({ mode: m.mode, url, body, warmup, calls }, 60_000);
        if (r > 0) perRound[m.key].push(raw);
        const round = r === 0 ? "warm-up" : `round ${r}`;
        log(`  client ${m.label.padEnd(22)} ${round}: ${raw.p50_us.toFixed(1)} us/call`);
      } catch (err) {
        errors[m.key] = String(err.message ?? err).split("\n")[0];
        log(`  client ${m.label.padEnd(22)} unavailable: ${errors[m.key]}`);
      }
    }
  }
  const figures = { endpoint: url, calls_per_round: calls, rounds, clients: {} };
  for (const m of CLIENT_MODES) {
    const runs = perRound[m.key];
    figures.clients[m.key] = errors[m.key]
      ? { label: m.label, error: errors[m.key], per_call_us: null }
      : {
          label: m.label,
          per_call_us: round(median(runs.map((x) => x.p50_us)), 1),
          mean_us: round(median(runs.map((x) => x.mean_us)), 1),
          p99_us: round(median(runs.map((x) => x.p99_us)), 1),
          errors: runs.reduce((s, x) => s + x.errors, 0),
        };
  }
  return figures;
}

const firstLine = (err) => String(err?.message ?? err).split("\n")[0];

/** Reject with "<what> timed out" when `promise` takes longer than `ms` (it keeps running). */
function bounded(promise, ms, what) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const medianOf = (xs, digits = 2) => round(median(xs), digits);

/** measureDiscovery's samples as medians per app count, in the results' shape. */
function summariseDiscovery(gw, counts) {
  const out = {};
  for (const n of counts) {
    const s = gw[n].samples;
    out[n] = {
      apps: n,
      endpoints_per_app: ENDPOINTS_PER_APP,
      register_all_ms: gw[n].register_all_ms,
      register_per_app_ms: round(gw[n].register_all_ms / n, 3),
      list_apps_with_schemas_ms: medianOf(s.list_ms),
      list_apps_with_schemas_bytes: medianOf(s.list_bytes, 0),
      gateway_connect_ms: medianOf(s.connect_ms),
      register_to_first_call_ms: medianOf(s.first_call_ms),
      forward_rps: medianOf(s.rps, 1),
      samples: s,
    };
  }
  return out;
}

/**
 * Issue point 3, see bench/lib/discovery.js. `o`: { counts, reps, firstCallRuns, rounds,
 * duration, warmup, connections, concurrency, load, wrkThreads, timeoutMs, note, log }.
 * Never throws: a failure becomes { status: "error", error } with null figures.
 */
export async function discoveryFigures(o) {
  const common = {
    note: o.note,
    app_counts: o.counts,
    forward: {
      path: "/app<last>/echo",
      connections: o.connections,
      duration_s: o.duration,
      warmup_s: o.warmup,
      rounds: o.rounds,
      tool: o.load.tool,
    },
    repetitions: { list_and_connect: o.reps, first_call: o.firstCallRuns },
  };
  const t0 = performance.now();
  try {
    // measureDiscovery stops its processes at o.timeoutMs; `bounded` is the last resort.
    const gw = await bounded(measureDiscovery(o), o.timeoutMs + 30_000, "discovery figures");
    common.elapsed_s = round((performance.now() - t0) / 1000, 1);
    const byCount = summariseDiscovery(gw, o.counts);
    const first = byCount[o.counts[0]];
    return {
      status: "ok",
      ...common,
      register_to_first_call_ms: first.register_to_first_call_ms,
      register_to_first_call_apps: first.apps,
      by_app_count: byCount,
    };
  } catch (err) {
    common.elapsed_s = round((performance.now() - t0) / 1000, 1);
    o.log(`  discovery figures failed: ${firstLine(err)}`);
    return { status: "error", error: firstLine(err), ...common, by_app_count: {} };
  }
}

/**
 * Issue point 4: `runs` x (EchoService.launch() timed until it resolves, i.e. Available, then
 * shutdown()), one after another in this process (launch spawns its own child). PID files go to
 * a temporary folder, removed afterwards. Never throws.
 */
export async function launchFigures({ runs, note, log }) {
  const t0 = performance.now();
  const pidDir = mkdtempSync(join(tmpdir(), "portico-bench-launch-"));
  const removeDir = () => rmSync(pidDir, { recursive: true, force: true });
  process.once("exit", removeDir); // Ctrl+C or the global deadline exit without `finally`
  const samples = [];
  let error = null;
  try {
    for (let i = 1; i <= runs; i++) {
      const t0 = performance.now();
      const echo = await bounded(launchEcho({ pidDir }), 40_000, "EchoService.launch()");
      samples.push(round(performance.now() - t0, 1));
      await bounded(echo.shutdown(), 15_000, "shutdown()");
      log(`  launch ${i}/${runs}: ${samples.at(-1)} ms`);
    }
  } catch (err) {
    error = firstLine(err);
    log(`  launch figures failed: ${error}`);
  } finally {
    process.removeListener("exit", removeDir);
    removeDir();
  }
  const median_ms = error ? null : round(median(samples), 1);
  const elapsed_s = round((performance.now() - t0) / 1000, 1);
  const status = error ? "error" : "ok";
  return { status, error, note, runs, samples_ms: samples, median_ms, elapsed_s };
}
