// The balancer's cost (issue 8, bench point 8): forwarding over 3 instances of the echo backend
// against 1 instance, on gateways that differ only in their instances and their `balance`
// strategy, with the backend capacity held constant (one core). Two ways to have 3 instances:
// - 3 ports of one fastify echo process (`--listen 3`): 3 origins, so 3 instances with a pool
//   each at the gateway, served by the same event loop as 1 instance is. What changes is only
//   the gateway's work (a pick among the routable instances, 3 pools, in-flight counts): the
//   balancer's cost, measured with each strategy; the target is on the default one.
// - 3 fastify processes sharing the core (least-in-flight; reported): the same plus the cost of
//   three processes taking turns on one core (each wakes up for a third of the calls, with fewer
//   requests per wake-up), which the gateway does not choose and which spare cores remove.
// Every gateway is alive for the whole figure (an idle one costs one TCP health check per
// instance every 5 s) and is measured at the top connection count, warm-up first, then rounds in
// ABBA order.
import { request } from "undici";
import { cpuMeter } from "./cpu.js";
import { measure } from "./load.js";
import { startServer } from "./procs.js";
import { BODY, verify } from "./setup.js";
import { median, ratio, round, roundsSummary } from "./stats.js";

/**
 * What is measured: 1 instance (the default strategy; it never picks), 3 ports of that process
 * with each strategy, and 3 processes. `urls(b)` picks the instances from the backends.
 */
export const BALANCE_VARIANTS = [
  { key: "one", label: "1 instance", balance: null, urls: (b) => [b[0].ports[0]] },
  {
    key: "least_in_flight",
    label: "3 ports, least-in-flight",
    balance: "least-in-flight",
    urls: (b) => b[0].ports,
  },
  {
    key: "round_robin",
    label: "3 ports, round-robin",
    balance: "round-robin",
    urls: (b) => b[0].ports,
  },
  {
    key: "processes",
    label: "3 processes, least-in-flight",
    balance: "least-in-flight",
    urls: (b) => b.map((x) => x.ports[0]),
  },
];

const PATH = "/echoer/echo";

/** Start one gateway per variant (in parallel); each calls every instance at least once. */
async function startGateways(o, procs) {
  const start = (v) => {
    const args = ["--backend", v.urls(o.backends).join(",")];
    if (v.balance) args.push("--options", JSON.stringify({ balance: v.balance }));
    return startServer(`portico gateway (${v.label})`, o.gatewayScript, args);
  };
  const started = await Promise.allSettled(BALANCE_VARIANTS.map(start));
  for (const s of started) if (s.status === "fulfilled") procs.push(s.value.child);
  const failed = started.find((s) => s.status === "rejected");
  if (failed) throw failed.reason;
  const gw = {};
  for (const [i, v] of BALANCE_VARIANTS.entries()) {
    const { url, child } = started[i].value;
    for (let k = 0; k < 6; k++) await verify(`${url}${PATH}`);
    gw[v.key] = { url: `${url}${PATH}`, pid: child.pid, rounds: [] };
  }
  return gw;
}

/** Requests served so far by each port of each backend: [[per port] per backend]. */
async function served(backends) {
  const counts = (b) => request(`${b.ports[0]}/bench_counts`).then((res) => res.body.json());
  return (await Promise.all(backends.map(counts))).map((x) => x.counts);
}

/** Each instance's share of the requests served while `measureFn` ran. */
async function spread(o, urls, measureFn) {
  const before = await served(o.backends);
  const res = await measureFn();
  const after = await served(o.backends);
  const of = (url) => {
    const i = o.backends.findIndex((b) => b.ports.includes(url));
    const j = o.backends[i].ports.indexOf(url);
    return after[i][j] - before[i][j];
  };
  res.backend_shares = shares(urls.map(of));
  return res;
}

function shares(values) {
  const total = values.reduce((s, x) => s + x, 0);
  return total > 0 ? values.map((x) => round(x / total, 3)) : null;
}

/** One load run on a variant's gateway; metered: gateway and backends' CPU, and the spread. */
async function run(o, v, g, duration, metered) {
  const load = () =>
    measure({
      ...o.load,
      url: g.url,
      connections: o.connections,
      duration,
      body: BODY,
      wrkThreads: o.wrkThreads,
    });
  if (!metered) return load();
  const meter = cpuMeter({ pids: [g.pid], backendPids: o.backends.map((b) => b.pid) });
  const res = await spread(o, v.urls(o.backends), load);
  res.cpu = meter(res.requests);
  return res;
}

/** Each backend's median share of the requests over the rounds without error, or null. */
function medianShares(ok) {
  const shares = ok[0]?.backend_shares?.map((_, i) =>
    round(median(ok.map((r) => r.backend_shares?.[i])), 3),
  );
  return shares ?? null;
}

/** Medians of one variant's rounds. */
function summary(rounds) {
  return roundsSummary(rounds, (ok) => ({ shares: medianShares(ok) }));
}

/** `key`'s req/s over 1 instance's, per round (each pair measured close together), median. */
function paired(gw, key) {
  const pairs = gw[key].rounds.map((r, i) => ratio(r.rps, gw.one.rounds[i]?.rps));
  return round(median(pairs), 3);
}

/**
 * `o`: { backends: [{ ports: [url x3], pid }, { ports: [url], pid } x2], gatewayScript, load,
 * connections, warmup, rounds, duration, wrkThreads, procs (children to stop at the end), log }.
 * Throws on failure (instances.js turns it into { status: "error" }).
 */
export async function balanceFigures(o) {
  const gw = await startGateways(o, o.procs);
  for (const v of BALANCE_VARIANTS) await run(o, v, gw[v.key], o.warmup, false);
  for (let r = 1; r <= o.rounds; r++) {
    const order = r % 2 === 1 ? BALANCE_VARIANTS : [...BALANCE_VARIANTS].reverse();
    for (const v of order) {
      const res = await run(o, v, gw[v.key], o.duration, true).catch((err) => ({
        error: String(err.message ?? err).split("\n")[0],
      }));
      gw[v.key].rounds.push(res);
      const cpu = res.cpu?.proxy_us_per_req;
      o.log(
        `  round ${r}/${o.rounds} ${v.label.padEnd(29)} ` +
          (res.error
            ? `error: ${res.error}`
            : `${Math.round(res.rps)} req/s  p99 ${res.p99_ms.toFixed(3)} ms` +
              (cpu == null ? "" : `  cpu ${cpu.toFixed(1)} us/req`) +
              (res.backend_shares ? `  spread ${res.backend_shares.join("/")}` : "") +
              (res.errors ? `  (${res.errors} errors)` : "")),
      );
    }
  }
  const out = { by_variant: {}, ratios: {} };
  for (const v of BALANCE_VARIANTS) {
    const row = {
      label: v.label,
      instances: v.urls(o.backends).length,
      ...summary(gw[v.key].rounds),
    };
    row.balance = v.balance ?? "least-in-flight (default; one instance: no pick)";
    out.by_variant[v.key] = row;
  }
  const one = out.by_variant.one;
  for (const key of ["least_in_flight", "round_robin", "processes"]) {
    const row = out.by_variant[key];
    out.ratios[key] = {
      rps_3_vs_1: round(ratio(row.rps, one.rps), 3),
      rps_3_vs_1_paired: paired(gw, key),
      cpu_3_vs_1: round(ratio(row.cpu_us_per_req, one.cpu_us_per_req), 3),
      backend_cpu_3_vs_1: round(ratio(row.backend_cpu_us_per_req, one.backend_cpu_us_per_req), 3),
    };
  }
  const lif = out.by_variant.least_in_flight;
  const rr = out.by_variant.round_robin;
  out.ratios.least_in_flight_vs_round_robin = {
    rps: round(ratio(lif.rps, rr.rps), 3),
    cpu: round(ratio(lif.cpu_us_per_req, rr.cpu_us_per_req), 3),
  };
  return out;
}
