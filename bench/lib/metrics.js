// The metrics figure of issue 10 (point 3): what counting costs the forwarding hot path. Two
// gateways forward the same fastify echo backend, one with metrics on (the default: per-app
// counters, latency histogram, one-minute window) and one with `metrics: false`; both are alive
// for the whole figure and measured at the top connection count, warm-up first, then rounds in
// ABBA order, pinned like the contenders. Before measuring, each gateway is checked to be what
// it claims: the one with metrics serves /metrics with the forwarded calls counted, the other
// answers 404 there. Target: req/s with metrics / without >= 0.97 (at most 3 % of forwarding).
// `opts.metrics`: null when skipped (--skip-metrics). The figure is { status: ok|error|skipped,
// ... } and never throws; every process it started is stopped at the end.
import { fileURLToPath } from "node:url";
import { request } from "undici";
import { cpuMeter } from "./cpu.js";
import { measure } from "./load.js";
import { startServer, stopChild } from "./procs.js";
import { BACKEND, BODY, verify } from "./setup.js";
import { fmt, median, ratio, round, roundsSummary, table } from "./stats.js";

const GATEWAY = fileURLToPath(new URL("../servers/portico-gateway.js", import.meta.url));
const PATH = "/echoer/echo";
const MODES = [
  { key: "on", label: "metrics on", options: {} },
  { key: "off", label: "metrics: false", options: { metrics: false } },
];
const firstLine = (err) => String(err?.message ?? err).split("\n")[0];

/** The settings: 12 rounds of 3 s (quick 3 of 2 s) after a warm-up of 2 s (quick 1 s). */
export function metricsSettings(opts) {
  if (!opts.metrics) return null;
  return { connections: opts.connections?.at(-1) ?? 32, ...opts.metrics };
}

/** Rough seconds the figure takes (for the run's estimate and deadline). */
export function metricsEstimate(opts) {
  const m = metricsSettings(opts);
  return m ? Math.round(4 + 2 * m.warmup + m.rounds * 2 * (m.duration + 0.5)) : 0;
}

/** `portico_app_requests_total` of app "echoer" at `url`/metrics (all classes), or the status. */
async function countedCalls(url) {
  const res = await request(`${url}/metrics`);
  const text = await res.body.text();
  if (res.statusCode !== 200) return { status: res.statusCode };
  const lines = text
    .split("\n")
    .filter((l) => l.startsWith('portico_app_requests_total{app="echoer"'));
  return { status: 200, calls: lines.reduce((s, l) => s + Number(l.split(" ").at(-1)), 0) };
}

/** Start both gateways (in parallel) and prove each is what it claims. */
async function startGateways(backendUrl, procs) {
  const start = (mode) => {
    const args = ["--backend", backendUrl, "--options", JSON.stringify(mode.options)];
    return startServer(`portico gateway (${mode.label})`, GATEWAY, args);
  };
  const started = await Promise.allSettled(MODES.map(start));
  for (const s of started) if (s.status === "fulfilled") procs.push(s.value.child);
  const failed = started.find((s) => s.status === "rejected");
  if (failed) throw failed.reason;
  const gw = {};
  for (const [i, mode] of MODES.entries()) {
    const { url, child } = started[i].value;
    for (let k = 0; k < 3; k++) await verify(`${url}${PATH}`);
    const seen = await countedCalls(url);
    const ok = mode.key === "on" ? seen.status === 200 && seen.calls >= 3 : seen.status === 404;
    if (!ok) throw new Error(`${mode.label}: /metrics answered ${JSON.stringify(seen)}`);
    gw[mode.key] = { url, pid: child.pid, rounds: [] };
  }
  return gw;
}

/** Run the figure; never throws. */
export async function metricsFigures({ opts, load, log }) {
  const m = metricsSettings(opts);
  if (!m) return { status: "skipped", note: "--skip-metrics given" };
  const t0 = performance.now();
  const elapsed = () => round((performance.now() - t0) / 1000, 1);
  const procs = [];
  try {
    const how = `${load.tool} @${m.connections}, ${m.rounds} x ${m.duration} s`;
    log(`metrics on vs metrics: false, same backend (${how}):`);
    const backend = await startServer("backend (metrics figure)", BACKEND, ["--impl", "fastify"]);
    procs.push(backend.child);
    await verify(`${backend.url}/echo`);
    const gw = await startGateways(backend.url, procs);
    const run = (key, duration, metered) => {
      const meter = metered
        ? cpuMeter({ pids: [gw[key].pid], backendPids: [backend.child.pid] })
        : null;
      const o = { ...load, url: `${gw[key].url}${PATH}`, connections: m.connections, body: BODY };
      return measure({ ...o, duration, wrkThreads: opts.wrkThreads }).then((res) => {
        if (meter) res.cpu = meter(res.requests);
        return res;
      });
    };
    for (const mode of MODES) await run(mode.key, m.warmup, false);
    for (let r = 1; r <= m.rounds; r++) {
      for (const mode of r % 2 === 1 ? MODES : [...MODES].reverse()) {
        const res = await run(mode.key, m.duration, true).catch((err) => ({
          error: firstLine(err),
        }));
        gw[mode.key].rounds.push(res);
        const cpu = res.cpu?.proxy_us_per_req;
        log(
          `  round ${r}/${m.rounds} ${mode.label.padEnd(14)} ` +
            (res.error
              ? `error: ${res.error}`
              : `${Math.round(res.rps)} req/s  p99 ${res.p99_ms.toFixed(3)} ms` +
                (cpu == null ? "" : `  cpu ${cpu.toFixed(1)} us/req`) +
                (res.errors ? `  (${res.errors} errors)` : "")),
        );
      }
    }
    const on = roundsSummary(gw.on.rounds);
    const off = roundsSummary(gw.off.rounds);
    const pairs = gw.on.rounds.map((x, i) =>
      x.error || gw.off.rounds[i]?.error ? null : ratio(x.rps, gw.off.rounds[i]?.rps),
    );
    return {
      status: "ok",
      tool: load.tool,
      connections: m.connections,
      rounds: m.rounds,
      duration_s: m.duration,
      by_mode: { on, off },
      rps_on_vs_off: round(ratio(on.rps, off.rps), 3),
      rps_on_vs_off_paired: round(median(pairs), 3),
      cpu_on_vs_off: round(ratio(on.cpu_us_per_req, off.cpu_us_per_req), 3),
      elapsed_s: elapsed(),
    };
  } catch (err) {
    log(`  metrics figure failed: ${firstLine(err)}`);
    return { status: "error", error: firstLine(err), elapsed_s: elapsed() };
  } finally {
    await Promise.allSettled(procs.map((c) => stopChild(c, 5000)));
  }
}

/** The targets for this figure, as [id, description, value, op?, threshold?] rows. */
export function metricsTargets(metrics = {}) {
  const f = metrics.status === "ok" ? metrics : null;
  return [
    [
      "metrics_on_vs_off_c32",
      "forwarding rps with metrics/metrics: false @32 (same run)",
      f?.rps_on_vs_off ?? null,
      ">=",
      0.97,
    ],
    [
      "metrics_on_vs_off_paired_c32",
      "the same, median of per-round pairs (reported only)",
      f?.rps_on_vs_off_paired ?? null,
    ],
    [
      "metrics_cpu_on_vs_off_c32",
      "gateway CPU per forwarded request, metrics on/off @32 (reported only)",
      f?.cpu_on_vs_off ?? null,
    ],
  ];
}

/** Prints the figure. */
export function printMetrics(f, log) {
  if (f?.status !== "ok") {
    log(`\nmetrics on vs off: ${f?.status ?? "n/a"} (${f?.error ?? f?.note ?? ""})`);
    return;
  }
  const rows = [["gateway", "req/s", "p50 ms", "p99 ms", "cpu us/req", "backend us/req"]];
  for (const mode of MODES) {
    const r = f.by_mode[mode.key];
    rows.push([mode.label, fmt(r.rps), fmt(r.p50_ms, 3), fmt(r.p99_ms, 3)]);
    rows.at(-1).push(fmt(r.cpu_us_per_req, 1), fmt(r.backend_cpu_us_per_req, 1));
  }
  const how = `${f.tool} @${f.connections}, ${f.rounds} x ${f.duration_s} s`;
  log(`\nmetrics on vs off (${how}):\n${table(rows)}`);
  log(
    `on/off: ${fmt(f.rps_on_vs_off, 3)} in req/s (paired ${fmt(f.rps_on_vs_off_paired, 3)}), ` +
      `${fmt(f.cpu_on_vs_off, 3)} in CPU per request`,
  );
}
