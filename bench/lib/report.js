// Turns the per-round measurements into medians, ratios and target checks, prints the tables
// and builds the object written to bench/results/latest.json (with machine info and versions).
import { readFileSync } from "node:fs";
import os from "node:os";
import { fmt, median, ratio, round, table } from "./stats.js";

const ROOT = new URL("../../", import.meta.url);

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
      out[scenario][name] = {
        rps: round(median(ok.map((r) => r.rps)), 1),
        p50_ms: round(median(ok.map((r) => r.p50_ms)), 3),
        p99_ms: round(median(ok.map((r) => r.p99_ms)), 3),
        // The proxy's CPU per request; `direct` has no proxy, so there it is the backend's.
        cpu_us_per_req: round(proxyCpu ?? (name === "direct" ? backendCpu : null), 2),
        backend_cpu_us_per_req: round(backendCpu, 2),
      };
    }
  }
  return out;
}

/** Throughput ratios vs direct and vs portico, and p50 added over direct, per scenario. */
export function ratios(scenarios) {
  const out = {};
  for (const [scenario, rows] of Object.entries(scenarios)) {
    out[scenario] = {};
    for (const [name, r] of Object.entries(rows)) {
      const p50Added = rows.direct ? r.p50_ms - rows.direct.p50_ms : null;
      out[scenario][name] = {
        rps_vs_direct: round(ratio(r.rps, rows.direct?.rps), 3),
        rps_vs_portico: round(ratio(r.rps, rows.portico?.rps), 3),
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
    }
    const mine = rows.portico?.cpu_us_per_req;
    const r = {};
    for (const [name, row] of Object.entries(rows)) {
      if (name === "portico" || name === "portico-secured") continue;
      r[`portico_vs_${name}`] = round(ratio(mine, row.cpu_us_per_req), 3);
    }
    const secured = rows["portico-secured"]?.cpu_us_per_req;
    r["portico-secured_vs_portico"] = round(ratio(secured, mine), 3);
    out.ratios[scenario] = r;
  }
  return out;
}

/** The targets, each with its value from this run (null when not measured). */
export function targets({ scenarios, client, discovery, launch }) {
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
  ];
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
  log("\ntargets:");
  for (const t of tg) {
    const verdict =
      t.pass === null ? (t.value === null ? "n/a" : "info") : t.pass ? "PASS" : "FAIL";
    const want = t.op ? ` (want ${t.op} ${t.threshold})` : "";
    log(`  ${verdict.padEnd(4)} ${t.description}: ${t.value ?? "not measured"}${want}`);
  }
}
