// Workers figure (issue 7, bench point 4): a gateway launched with Gateway.launch({ numWorkers })
// on a SQLite registry, 2 workers against 1, forwarding the echo at the top connection count.
// UNPINNED: the harness gives itself back every CPU it had (taskset) before starting anything
// for this figure, so the backend, both gateways and the load generator it starts are scheduled
// by the OS on all CPUs; it pins itself again afterwards. Warm-up, then rounds in ABBA order.
import os from "node:os";
import { fileURLToPath } from "node:url";
import { cpuMeter } from "./cpu.js";
import { measure } from "./load.js";
import { pinCpus, startServer, stopChild, unpinCpus } from "./procs.js";
import { BACKEND, BODY, verify } from "./setup.js";
import { median, ratio, round } from "./stats.js";

const WORKERS = fileURLToPath(new URL("../servers/portico-gateway-workers.js", import.meta.url));
const COUNTS = [1, 2];
const firstLine = (err) => String(err?.message ?? err).split("\n")[0];

/** What this machine allows, for the report: the figure is only as good as its spare cores. */
export function workersExplanation(cpus) {
  return (
    `This machine has ${cpus} CPU${cpus === 1 ? "" : "s"}, shared by everything in the figure: the ` +
    "load generator (autocannon: one Node process, about a core when it saturates the gateway), " +
    "the echo backend (one Node process) and the gateway (1 process, or a cluster primary and 2 " +
    "workers). A second worker adds throughput only when the gateway's one event loop is the " +
    "bottleneck and a core has idle time. Here the load generator and the backend already take " +
    "about a core between them, so the two workers share the remaining capacity with them and " +
    "with each other: expect about 1x, or less (one more process to schedule, colder caches, " +
    "cross-core wake-ups). The figure shows that workers serve and stay consistent on a shared " +
    "registry, not how they scale; on a machine with spare cores each worker can add up to a core " +
    "of forwarding."
  );
}

/** Both gateways, launched at the same time (one SQLite file each); the backend registered. */
async function startGateways(o, backendUrl, procs) {
  const start = (n) => {
    const args = ["--workers", String(n), "--registry", o.shared.sqliteUrl(`workers-${n}`)];
    args.push("--backend", backendUrl, "--pid-dir", o.shared.tempDir());
    const name = `portico gateway (${n} worker${n > 1 ? "s" : ""})`;
    return startServer(name, WORKERS, args, 90_000);
  };
  const started = await Promise.allSettled(COUNTS.map(start));
  for (const s of started) if (s.status === "fulfilled") procs.push(s.value.child);
  const failed = started.find((s) => s.status === "rejected");
  if (failed) throw failed.reason;
  const gw = {};
  for (const [i, n] of COUNTS.entries()) {
    const s = started[i].value;
    const url = `${s.url}/echoer/echo`;
    // New connections each time: with 2 workers, each should have served the app at least once.
    for (let k = 0; k < 8; k++) await verify(url);
    gw[n] = { url, pid: s.child.pid, rounds: [] };
  }
  return gw;
}

/**
 * `o`: { shared, load, connections, warmup, rounds, duration, wrkThreads, pin, pinExplicit,
 * log }. Never throws: a failure becomes { status: "error", error }.
 */
export async function workersFigures(o) {
  const t0 = performance.now();
  const cpus = os.cpus().length;
  const out = {
    status: "ok",
    registry: "sqlite (one temp file per gateway)",
    connections: o.connections,
    rounds: o.rounds,
    duration_s: o.duration,
    warmup_s: o.warmup,
    tool: o.load.tool,
    cpus,
    explanation: workersExplanation(cpus),
    load_average_before: os.loadavg().map((x) => round(x, 2)),
  };
  const procs = [];
  try {
    out.cpu_pinning = unpinCpus();
    o.log(`  cpu pinning for this figure: ${out.cpu_pinning}`);
    const backend = await startServer("backend (workers figure)", BACKEND);
    procs.push(backend.child);
    await verify(`${backend.url}/echo`);
    const gw = await startGateways(o, backend.url, procs);
    const run = async (n, duration, metered) => {
      const meter = metered
        ? cpuMeter({ pids: [gw[n].pid], backendPids: [backend.child.pid] })
        : null;
      const res = await measure({
        ...o.load,
        url: gw[n].url,
        connections: o.connections,
        duration,
        body: BODY,
        wrkThreads: o.wrkThreads,
      });
      if (meter) res.cpu = meter(res.requests);
      return res;
    };
    for (const n of COUNTS) await run(n, o.warmup, false);
    for (let r = 1; r <= o.rounds; r++) {
      for (const n of r % 2 === 1 ? COUNTS : [...COUNTS].reverse()) {
        const res = await run(n, o.duration, true);
        if (res.errors) throw new Error(`${n} worker(s): ${res.errors} errors in ${res.requests}`);
        gw[n].rounds.push(res);
        const cpu = res.cpu?.proxy_us_per_req;
        o.log(
          `  round ${r}/${o.rounds} ${n} worker${n > 1 ? "s" : " "} ${Math.round(res.rps)} req/s  ` +
            `p50 ${res.p50_ms.toFixed(3)} ms  p99 ${res.p99_ms.toFixed(3)} ms` +
            (cpu == null ? "" : `  cpu ${cpu.toFixed(1)} us/req`),
        );
      }
    }
    out.by_workers = {};
    for (const n of COUNTS) {
      const rs = gw[n].rounds;
      out.by_workers[n] = {
        rps: round(median(rs.map((x) => x.rps)), 1),
        p50_ms: round(median(rs.map((x) => x.p50_ms)), 3),
        p99_ms: round(median(rs.map((x) => x.p99_ms)), 3),
        cpu_us_per_req: round(median(rs.map((x) => x.cpu?.proxy_us_per_req)), 2),
        backend_cpu_us_per_req: round(median(rs.map((x) => x.cpu?.backend_us_per_req)), 2),
        samples_rps: rs.map((x) => round(x.rps, 1)),
      };
    }
    out.rps_2_vs_1 = round(ratio(out.by_workers[2].rps, out.by_workers[1].rps), 3);
    out.cpu_2_vs_1 = round(
      ratio(out.by_workers[2].cpu_us_per_req, out.by_workers[1].cpu_us_per_req),
      3,
    );
  } catch (err) {
    out.status = "error";
    out.error = firstLine(err);
    o.log(`  workers figure failed: ${out.error}`);
  } finally {
    await Promise.allSettled(procs.map((c) => stopChild(c, 5000)));
    if (o.pin !== "none") {
      try {
        pinCpus(o.pin, o.pinExplicit);
      } catch (err) {
        o.log(`  could not pin again: ${firstLine(err)}`);
      }
    }
  }
  out.load_average_after = os.loadavg().map((x) => round(x, 2));
  out.elapsed_s = round((performance.now() - t0) / 1000, 1);
  return out;
}
