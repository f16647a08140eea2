// Turns the per-round measurements into medians, ratios and target checks, prints the tables
// and builds the object written to bench/results/latest.json (with machine info and versions).
import { readFileSync } from "node:fs";
import os from "node:os";
import { instanceTargets, printInstances } from "./instances-report.js";
import { mcpTargets, printMcp } from "./mcp-report.js";
import { metricsTargets, printMetrics } from "./metrics.js";
import { fmt, median, ratio, round, table } from "./stats.js";

const ROOT = new URL("../../", import.meta.url);
/** The same gateway with one option changed: measured against `portico`, not the other way. */
const PORTICO_VARIANTS = ["portico-secured", "portico-sqlite", "portico-redis"];

function pkgVersion(name) {
  const file = name === "portico" ? "package.json" : `node_modules/${name}/package.json`;
  try {
    return JSON.parse(readFileSync(new URL(file, ROOT), "utf8")).version;
  } catch {
    return null;
  }
}

export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpu_model: cpus[0]?.model ?? "unknown",
    cpus: cpus.length,
    memory_gb: round(os.totalmem() / 2 ** 30, 1),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  };
}

export function versions(extra) {
  const names = ["portico", "fastify", "@fastify/http-proxy", "undici", "autocannon"];
  names.push("moleculer", "moleculer-web");
  return { ...Object.fromEntries(names.map((n) => [n, pkgVersion(n)])), ...extra };
}

/** Medians per scenario and contender: { c1: { direct: { rps, p50_ms, p99_ms } } }. */
export function summarise(rounds) {
  const out = {};
  for (const [scenario, byContender] of Object.entries(rounds)) {
    out[scenario] = {};
    for (const [name, runs] of Object.entries(byContender)) {
      const ok = runs.filter((r) => !r.error);
      if (ok.length === 0) continue;
      const proxyCpu = median(ok.map((r) => r.cpu?.proxy_us_per_req));
      const backendCpu = median(ok.map((r) => r.cpu?.backend_us_per_req));
      const storeCpu = median(ok.map((r) => r.cpu?.store_us_per_req));
      out[scenario][name] = {
        rps: round(median(ok.map((r) => r.rps)), 1),
        p50_ms: round(median(ok.map((r) => r.p50_ms)), 3),
        p99_ms: round(median(ok.map((r) => r.p99_ms)), 3),
        // The proxy's CPU per request; `direct` has no proxy, so there it is the backend's.
        cpu_us_per_req: round(proxyCpu ?? (name === "direct" ? backendCpu : null), 2),
        backend_cpu_us_per_req: round(backendCpu, 2),
      };
      // A store process of its own (portico-redis: redis-server); ~0 when forwarding skips it.
      if (storeCpu !== null) out[scenario][name].store_cpu_us_per_req = round(storeCpu, 3);
    }
  }
  return out;
}

/**
 * Median over rounds of `name`'s req/s over portico's in the same round: the rounds run in ABBA
 * order, so each is a pair measured close together, and drift between rounds cancels out.
 */
function pairedVsPortico(runs, name) {
  const mine = runs?.[name] ?? [];
  const base = runs?.portico ?? [];
  const pairs = mine.map((r, i) => (r.error || base[i]?.error ? null : ratio(r.rps, base[i]?.rps)));
  return round(median(pairs), 3);
}

/**
 * Throughput ratios vs direct and vs portico (also paired per round), and p50 added over direct,
 * per scenario.
 */
export function ratios(scenarios, rounds = {}) {
  const out = {};
  for (const [scenario, rows] of Object.entries(scenarios)) {
    out[scenario] = {};
    for (const [name, r] of Object.entries(rows)) {
      const p50Added = rows.direct ? r.p50_ms - rows.direct.p50_ms : null;
      out[scenario][name] = {
        rps_vs_direct: round(ratio(r.rps, rows.direct?.rps), 3),
        rps_vs_portico: round(ratio(r.rps, rows.portico?.rps), 3),
        rps_vs_portico_paired: rows.portico ? pairedVsPortico(rounds[scenario], name) : null,
        p50_added_ms_vs_direct: round(p50Added, 3),
        cpu_vs_portico: round(ratio(r.cpu_us_per_req, rows.portico?.cpu_us_per_req), 3),
      };
    }
  }
  return out;
}

/**
 * CPU time per request (latest.json `cpu_us_per_req`): per scenario and contender the medians of
 * { proxy, backend, total } µs, and the ratios portico/peer for every peer (below 1: Portico
 * spends less CPU per forwarded request; `direct`: against the backend alone, the floor) and
 * portico-secured/portico.
 */
export function cpuFigures(scenarios, source) {
  const out = {
    source,
    note:
      "user+system CPU of each proxy's processes (and of the backend) during each measured round, " +
      "divided by the requests of that round; medians over rounds. direct has no proxy: its " +
      "proxy figure is null and its backend figure is the floor. moleculer-web: proxy = the " +
      "moleculer-web process, backend = its echo node.",
    ratios: {},
  };
  for (const [scenario, rows] of Object.entries(scenarios)) {
    out[scenario] = {};
    for (const [name, r] of Object.entries(rows)) {
      const proxy = name === "direct" ? null : r.cpu_us_per_req;
      const backend = r.backend_cpu_us_per_req;
      const total = backend === null ? null : round((proxy ?? 0) + backend, 2);
      out[scenario][name] = {
        proxy,
        backend,
        total: proxy === null && name !== "direct" ? null : total,
      };
      if (r.store_cpu_us_per_req !== undefined) out[scenario][name].store = r.store_cpu_us_per_req;
    }
    const mine = rows.portico?.cpu_us_per_req;
    const r = {};
    for (const [name, row] of Object.entries(rows)) {
      if (name === "portico" || PORTICO_VARIANTS.includes(name)) continue;
      r[`portico_vs_${name}`] = round(ratio(mine, row.cpu_us_per_req), 3);
    }
    for (const variant of PORTICO_VARIANTS) {
      r[`${variant}_vs_portico`] = round(ratio(rows[variant]?.cpu_us_per_req, mine), 3);
    }
    out.ratios[scenario] = r;
  }
  return out;
}

/** The targets, each with its value from this run (null when not measured). */
export function targets(o) {
  const { scenarios, ratios: rat, client, discovery, launch, feed = {}, instances, mcp } = o;
  const { metrics } = o;
  const c32 = scenarios.c32 ?? {};
  const c1 = scenarios.c1 ?? {};
  const gw = (other) => round(ratio(c32.portico?.rps, c32[other]?.rps), 3);
  const secured = round(ratio(c32["portico-secured"]?.rps, c32.portico?.rps), 3);
  // portico-secured is measured against portico; portico against any other contender.
  const cpu = (other) => {
    const [a, b] = other === "portico-secured" ? [other, "portico"] : ["portico", other];
    return round(ratio(c32[a]?.cpu_us_per_req, c32[b]?.cpu_us_per_req), 3);
  };
  const added = c1.portico && c1.direct ? c1.portico.p50_ms - c1.direct.p50_ms : null;
  const cl = client?.clients ?? {};
  const apps = discovery?.by_app_count ?? {};
  const clientRatio = ratio(cl.portico_client?.per_call_us, cl.undici_request?.per_call_us);
  const appsRatio = ratio(apps[1000]?.forward_rps, apps[1]?.forward_rps);
  const launchMs = launch?.median_ms ?? null;
  const runs = launch?.samples_ms?.length ? `, median of ${launch.samples_ms.length}` : "";
  const cpuNote = "CPU per request @32 (reported only)";
  const variant = (name) => round(ratio(c32[name]?.rps, c32.portico?.rps), 3);
  const paired = (name) => rat?.c32?.[name]?.rps_vs_portico_paired ?? null;
  const variantCpu = (name) =>
    round(ratio(c32[name]?.cpu_us_per_req, c32.portico?.cpu_us_per_req), 3);
  const prop = (registry, key) => {
    const p = feed.propagation?.[registry];
    return p?.status === "ok" ? p[key] : null;
  };
  const fan = (key) => (feed.fanout?.status === "ok" ? feed.fanout[key] : null);
  const w = feed.workers?.status === "ok" ? feed.workers : null;
  const subs = feed.fanout?.subscribers ?? 1000;
  const propNote = "registerApp on A -> B's subscriber sees it";
  const list = [
    ["gw_vs_fastify_proxy_c32", "portico/fastify-proxy rps @32", gw("fastify-proxy"), ">=", 1.6],
    ["gw_vs_moleculer_web_c32", "portico/moleculer-web rps @32", gw("moleculer-web"), ">=", 1.25],
    ["gw_vs_undici_proxy_c32", "portico/undici-proxy rps @32", gw("undici-proxy"), ">=", 1],
    ["gw_vs_nginx_c32", "portico/nginx rps @32 (reported only)", gw("nginx"), null, null],
    ["secured_vs_gw_c32", "portico-secured/portico rps @32", secured, ">=", 0.95],
    ["secured_vs_gw_cpu_c32", `portico-secured/portico ${cpuNote}`, cpu("portico-secured")],
    ["gw_vs_undici_proxy_cpu_c32", `portico/undici-proxy ${cpuNote}`, cpu("undici-proxy")],
    ["gw_p50_added_c1_ms", "portico p50 added over direct @1 (ms)", round(added, 3), "<=", 0.15],
    ["client_vs_undici", "typed client/undici.request per call", round(clientRatio, 3), "<=", 1.15],
    ["apps_1000_vs_1", "forwarding rps 1000 apps/1 app", round(appsRatio, 3), ">=", 0.95],
    ["launch_median_ms", `EchoService.launch() to Available (ms${runs})`, launchMs, "<=", 500],
    ["sqlite_vs_gw_c32", "portico-sqlite/portico rps @32", variant("portico-sqlite"), ">=", 0.97],
    ["redis_vs_gw_c32", "portico-redis/portico rps @32", variant("portico-redis"), ">=", 0.97],
    [
      "sqlite_vs_gw_paired_c32",
      "portico-sqlite/portico rps @32, median of per-round pairs (reported only)",
      paired("portico-sqlite"),
    ],
    [
      "redis_vs_gw_paired_c32",
      "portico-redis/portico rps @32, median of per-round pairs (reported only)",
      paired("portico-redis"),
    ],
    ["sqlite_vs_gw_cpu_c32", `portico-sqlite/portico ${cpuNote}`, variantCpu("portico-sqlite")],
    ["redis_vs_gw_cpu_c32", `portico-redis/portico ${cpuNote}`, variantCpu("portico-redis")],
    [
      "redis_store_cpu_c32",
      "redis-server CPU us per forwarded request @32 (reported only)",
      c32["portico-redis"]?.store_cpu_us_per_req ?? null,
    ],
    ["propagation_redis_p50_ms", `redis: ${propNote}, p50 ms`, prop("redis", "p50_ms"), "<=", 20],
    ["propagation_redis_p99_ms", `redis: ${propNote}, p99 ms`, prop("redis", "p99_ms"), "<=", 100],
    [
      "propagation_sqlite_p50_ms",
      `sqlite: ${propNote}, p50 ms (reported only)`,
      prop("sqlite", "p50_ms"),
    ],
    [
      "propagation_sqlite_p99_ms",
      `sqlite: ${propNote}, p99 ms (reported only)`,
      prop("sqlite", "p99_ms"),
    ],
    ["fanout_p50_ms", `fan-out to ${subs} subscribers, p50 ms (reported only)`, fan("p50_ms")],
    ["fanout_p99_ms", `fan-out to ${subs} subscribers, p99 ms`, fan("p99_ms"), "<=", 250],
    [
      "workers_2_vs_1_c32",
      "gateway 2 workers/1 worker rps @32, unpinned (reported only; see workers.explanation)",
      w?.rps_2_vs_1 ?? null,
    ],
    ...instanceTargets(instances),
    ...mcpTargets(mcp),
    ...metricsTargets(metrics),
  ];
  return judge(list);
}

/** [id, description, value, op?, threshold?] rows as target objects with `pass`. */
export function judge(list) {
  return list.map(([id, description, value, op = null, threshold = null]) => {
    let pass = null;
    if (value !== null && op === ">=") pass = value >= threshold;
    if (value !== null && op === "<=") pass = value <= threshold;
    return { id, description, value, op, threshold, pass };
  });
}

/** The discovery table (one row per app count) and the launch line. */
function printFigures(discovery, launch, log) {
  if (discovery?.status === "ok") {
    const byCount = Object.values(discovery.by_app_count);
    const base = byCount[0]?.forward_rps;
    const rows = [["apps", "register/app ms", "list ms", "list KB", "connect ms"]];
    rows[0].push("reg->call ms", "fwd req/s", "x fewest");
    for (const r of byCount) {
      rows.push([
        fmt(r.apps),
        fmt(r.register_per_app_ms, 2),
        fmt(r.list_apps_with_schemas_ms, 1),
        fmt(r.list_apps_with_schemas_bytes / 1024),
        fmt(r.gateway_connect_ms, 1),
        fmt(r.register_to_first_call_ms, 1),
        fmt(r.forward_rps),
        fmt(ratio(r.forward_rps, base), 3),
      ]);
    }
    const f = discovery.forward;
    const how = `${f.tool} @${f.connections}, ${f.rounds} x ${f.duration_s} s`;
    log(`\ndiscovery (${byCount[0]?.endpoints_per_app} endpoints per app; forwarding ${how}):`);
    log(table(rows));
    if (discovery.note) log(`note: ${discovery.note}`);
  } else {
    log(`\ndiscovery: ${discovery?.status ?? "n/a"} (${discovery?.error ?? discovery?.note})`);
  }
  const samples = launch?.samples_ms?.length ? ` (samples ${launch.samples_ms.join(", ")})` : "";
  const what = launch?.status === "ok" ? `median ${launch.median_ms} ms` : launch?.status;
  log(`launch: EchoService.launch() to Available, ${what}${samples}`);
  if (launch?.error || launch?.note) log(`  ${launch.error ?? launch.note}`);
}

/** redis-server's CPU per forwarded request for portico-redis (the store the hot path skips). */
function printStore(scenarios, log) {
  for (const [key, rows] of Object.entries(scenarios)) {
    const store = rows["portico-redis"]?.store_cpu_us_per_req;
    if (store !== undefined) {
      log(
        `store cpu @${key.slice(1)}: redis-server ${fmt(store, 3)} us per request (portico-redis)`,
      );
    }
  }
}

const status = (f) => `${f?.status ?? "n/a"} (${f?.error ?? f?.note ?? ""})`;

/** The propagation, fan-out and workers figures (issue 7). */
function printFeed({ propagation: p, fanout: f, workers: w }, log) {
  if (p?.status === "ok" || p?.status === "error") {
    log(`
propagation (registerApp called on A -> B's subscriber sees app_registered):`);
    const rows = [
      ["registry", "trials", "p50 ms", "p99 ms", "max ms", "A reply p50 ms", "subscriber"],
    ];
    for (const key of ["redis", "sqlite"]) {
      const r = p[key];
      if (r?.status !== "ok") {
        rows.push([key, r?.status ?? "n/a", "", "", "", "", ""]);
        continue;
      }
      const sub = r.subscriber.startsWith("raw") ? "raw SSE" : "gw.on('change')";
      rows.push([key, fmt(r.trials), fmt(r.p50_ms, 2), fmt(r.p99_ms, 2), fmt(r.max_ms, 2)]);
      rows.at(-1).push(fmt(r.register_reply_p50_ms, 2), sub);
    }
    log(table(rows));
    for (const key of ["redis", "sqlite"]) {
      const r = p[key];
      if (r?.status !== "ok") log(`${key}: ${status(r)}`);
      else if (r.subscriber_note) log(`note (${key}): ${r.subscriber_note}`);
    }
  } else {
    log(`
propagation: ${status(p)}`);
  }
  if (f?.status === "ok") {
    log(
      `
fan-out: ${f.subscribers} /events subscribers, ${f.reps} registrations: register_app ` +
        `sent -> each subscriber has app_registered: p50 ${fmt(f.p50_ms, 2)} ms, ` +
        `p99 ${fmt(f.p99_ms, 2)} ms, max ${fmt(f.max_ms, 2)} ms (per-repetition p99: median ` +
        `${fmt(f.per_rep_p99_median_ms, 2)}, worst ${fmt(f.per_rep_p99_max_ms, 2)}; first-to-last ` +
        `spread ${fmt(f.spread_median_ms, 2)} ms; register_app reply ${fmt(f.register_reply_median_ms, 2)} ms)`,
    );
    if (f.note) log(`note: ${f.note}`);
  } else {
    log(`
fan-out: ${status(f)}`);
  }
  if (w?.status === "ok") {
    const rows = [["workers", "req/s", "p50 ms", "p99 ms", "cpu us/req", "backend us/req"]];
    for (const [n, r] of Object.entries(w.by_workers)) {
      rows.push([n, fmt(r.rps), fmt(r.p50_ms, 3), fmt(r.p99_ms, 3), fmt(r.cpu_us_per_req, 1)]);
      rows.at(-1).push(fmt(r.backend_cpu_us_per_req, 1));
    }
    const how = `${w.tool} @${w.connections}, ${w.rounds} x ${w.duration_s} s, ${w.cpu_pinning}`;
    log(`
gateway workers (sqlite registry; ${how}):
${table(rows)}`);
    log(
      `2 workers / 1: ${fmt(w.rps_2_vs_1, 3)} in req/s, ${fmt(w.cpu_2_vs_1, 3)} in CPU per request`,
    );
    log(
      `load average before ${w.load_average_before.join(" ")}, after ${w.load_average_after.join(" ")}`,
    );
    log(w.explanation);
  } else {
    log(`
gateway workers: ${status(w)}`);
  }
}

/** The CPU-per-request ratios, one line per scenario. */
function printCpu(cpu, connections, log) {
  if (!cpu?.source) {
    log("\ncpu per request: not measured (no /proc)");
    return;
  }
  log(
    "\ncpu us/req: user+system CPU of the proxy's processes per request (direct, in " +
      "parentheses: the backend's);\nbackend us/req: the backend's (moleculer-web: its echo " +
      `node). Source: ${cpu.source}.`,
  );
  for (const conns of connections) {
    const parts = Object.entries(cpu.ratios[`c${conns}`] ?? {})
      .filter(([, v]) => v !== null)
      .map(([k, v]) => `${k.replace("_vs_", "/")} ${fmt(v, 2)}`);
    if (parts.length > 0) log(`cpu per request ratios @${conns}: ${parts.join(", ")}`);
  }
}

/** Print one table per scenario, the discovery and launch figures, notes and the targets. */
export function printReport(o) {
  const { scenarios, ratios: rat, contenders, targets: tg, connections, log } = o;
  for (const conns of connections) {
    const key = `c${conns}`;
    const rows = [["contender", "req/s", "p50 ms", "p99 ms", "x direct", "x portico", "+p50 ms"]];
    rows[0].push("cpu us/req", "cpu x portico", "backend us/req");
    for (const [name, info] of Object.entries(contenders)) {
      const r = scenarios[key]?.[name];
      const q = rat[key]?.[name];
      if (!r) {
        rows.push([name, info.status === "ok" ? "failed" : info.status, ...Array(8).fill("")]);
        continue;
      }
      const direct = name === "direct";
      rows.push([
        name,
        fmt(r.rps),
        fmt(r.p50_ms, 3),
        fmt(r.p99_ms, 3),
        fmt(q?.rps_vs_direct, 2),
        fmt(q?.rps_vs_portico, 2),
        direct ? "" : fmt(q?.p50_added_ms_vs_direct, 3),
        direct ? `(${fmt(r.cpu_us_per_req, 1)})` : fmt(r.cpu_us_per_req, 1),
        fmt(q?.cpu_vs_portico, 2),
        fmt(r.backend_cpu_us_per_req, 1),
      ]);
    }
    log(`\n${conns} connection${conns === 1 ? "" : "s"} (medians):\n${table(rows)}`);
  }
  printCpu(o.cpu, connections, log);
  const notes = Object.entries(contenders).filter(([, c]) => c.status !== "ok");
  if (notes.length > 0) log("");
  for (const [name, c] of notes) log(`${c.status.toUpperCase()} ${name}: ${c.error ?? c.note}`);
  printFigures(o.discovery, o.launch, log);
  printStore(scenarios, log);
  printFeed(o.feed ?? {}, log);
  printInstances(o.instances, log);
  printMcp(o.mcp, log);
  printMetrics(o.metrics, log);
  printTargets(tg, log);
}

/** One line per target: PASS / FAIL / info (no goal) / n/a (not measured). */
export function printTargets(tg, log) {
  log("\ntargets:");
  for (const t of tg) {
    const verdict =
      t.pass === null ? (t.value === null ? "n/a" : "info") : t.pass ? "PASS" : "FAIL";
    const want = t.op ? ` (want ${t.op} ${t.threshold})` : "";
    log(`  ${verdict.padEnd(4)} ${t.description}: ${t.value ?? "not measured"}${want}`);
  }
}
