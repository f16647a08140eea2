// Health checks of many apps (issue 8, bench point 8): forwarding throughput of a gateway that
// actively checks N apps (1,000; `--health-apps`) every 5 s, against the same gateway with
// `health: false`. The N apps are real Portico heartbeats: one Portico EchoService process
// answering under base paths `/a0001` .. `/aNNNN` (bench/lib/portico.js, servePrefixedEcho), so
// each app has its own URL, is discovered as a Portico app and is checked with POST
// <base>/heartbeat through the gateway's pool, answered by the service's own heartbeat endpoint,
// which the process counts. The forwarded load goes to app "echoer", the fastify echo backend
// the contenders use. The gateway, that backend and the load generator share the run's pinned
// core, so the gateway's cost of checking comes out of forwarding; the checked service runs on
// another CPU when there is one (the N apps live elsewhere in any real deployment: answering
// the checks is their cost, not the gateway's), and its CPU time is reported all the same.
//
// A gateway with checks on checks whenever it is alive, so only one gateway runs at a time: the
// apps are registered once, in a SQLite registry (this run's temp folder), and each measurement
// starts a fresh gateway on it (it loads the apps with their endpoints; the first check of each
// instance comes at a random moment within one interval, so checks are at their steady rate from
// the start), warms it up, measures, and stops it; on/off in ABBA order.
import { spawnSync } from "node:child_process";
import os from "node:os";
import { request } from "undici";
import { cpuMeter } from "./cpu.js";
import { measure } from "./load.js";
import { registerOver } from "./portico.js";
import { startServer, stopChild } from "./procs.js";
import { BACKEND, BODY, verify } from "./setup.js";
import { median, ratio, round, roundsSummary } from "./stats.js";

const INTERVAL_MS = 5_000;
const MODES = [
  { key: "on", label: "checks on", options: { health: { intervalMs: INTERVAL_MS } } },
  { key: "off", label: "checks off", options: { health: false } },
];
const appName = (i) => `a${String(i).padStart(4, "0")}`;

async function postJson(url, body = {}) {
  const res = await request(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const json = await res.body.json();
  if (res.statusCode !== 200) throw new Error(`${url}: ${res.statusCode} ${JSON.stringify(json)}`);
  return json;
}

async function heartbeatsOf(fleetUrl) {
  const res = await request(`${fleetUrl}/bench_heartbeats`);
  return (await res.body.json()).heartbeats;
}

/**
 * Move the checked service off the run's pinned CPU (`pin`, one CPU) to the next one, when the
 * machine has another; returns where it runs.
 */
function elsewhere(pid, pin) {
  const cpus = os.cpus().length;
  if (!/^\d+$/.test(pin) || cpus < 2) return pin === "none" ? "unpinned" : `CPU ${pin}`;
  const cpu = String((Number(pin) + 1) % cpus);
  const res = spawnSync("taskset", ["-a", "-p", "-c", cpu, String(pid)], {
    encoding: "utf8",
    timeout: 5000,
  });
  return res.status === 0 ? `CPU ${cpu}` : `CPU ${pin} (taskset failed)`;
}

/** Register `count` apps (16 in flight), each at its own base path; all must be Portico apps. */
async function registerApps(gatewayUrl, fleetUrl, count) {
  let next = 1;
  const worker = async () => {
    while (next <= count) {
      const name = appName(next++);
      const info = await registerOver(gatewayUrl, name, `${fleetUrl}/${name}`);
      if (!info.discovered || info.kind !== "portico") {
        throw new Error(`${name}: discovered ${info.discovered}, kind ${info.kind}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(16, count) }, worker));
}

/** Instances of the N apps this gateway has checked, and how many of them are healthy. */
async function checkedInstances(gatewayUrl) {
  const { apps } = await postJson(`${gatewayUrl}/list_apps_with_schemas`);
  const fleet = apps.filter((a) => /^a\d+$/.test(a.name)).flatMap((a) => a.instances ?? []);
  return {
    instances: fleet.length,
    checked: fleet.filter((i) => i.last_check).length,
    healthy: fleet.filter((i) => i.health === "healthy").length,
  };
}

/** Start a gateway on the registry, measure it (warm-up first), stop it. */
async function measureOnce(o, mode, duration, env) {
  const args = ["--registry", env.registry, "--options", JSON.stringify(mode.options)];
  const gw = await startServer(`portico gateway (${mode.label})`, o.gatewayScript, args, 60_000);
  try {
    const url = `${gw.url}/echoer/echo`;
    await verify(url);
    const { heartbeat } = await postJson(`${gw.url}/heartbeat`);
    const watched = heartbeat?.details?.instances ?? null;
    const expected = mode.key === "on" ? o.apps + 1 : null;
    if (watched !== expected) throw new Error(`${mode.label}: ${watched} instances checked`);
    const load = { ...o.load, url, connections: o.connections, body: BODY };
    await measure({ ...load, duration: o.warmup, wrkThreads: o.wrkThreads });
    const pids = { pids: [gw.child.pid], backendPids: [env.backendPid], storePids: [env.fleetPid] };
    const meter = cpuMeter(pids);
    const h0 = await heartbeatsOf(env.fleetUrl);
    const t0 = performance.now();
    const res = await measure({ ...load, duration, wrkThreads: o.wrkThreads });
    const seconds = (performance.now() - t0) / 1000;
    res.cpu = meter(res.requests);
    res.heartbeats_per_s = ((await heartbeatsOf(env.fleetUrl)) - h0) / seconds;
    if (mode.key === "on") res.instances = await checkedInstances(gw.url);
    return res;
  } finally {
    await stopChild(gw.child, 5000);
  }
}

function summary(rounds) {
  return roundsSummary(rounds, (ok) => ({
    // The checked service's CPU per forwarded request: what answering the checks cost there.
    checked_service_cpu_us_per_req: round(median(ok.map((r) => r.cpu?.store_us_per_req)), 2),
    heartbeats_per_s: round(median(ok.map((r) => r.heartbeats_per_s)), 1),
  }));
}

/**
 * `o`: { apps, backendUrl, backendPid (the fastify echo the load goes to), shared, pin,
 * gatewayScript, load, connections, warmup, rounds, duration, wrkThreads, procs, log }. Throws on
 * failure (instances.js turns it into { status: "error" }).
 */
export async function healthCheckFigures(o) {
  const fleet = await startServer("portico echo under /aNNNN (health-check figure)", BACKEND, [
    "--impl",
    "portico-prefixed",
  ]);
  o.procs.push(fleet.child);
  await verify(`${fleet.url}/a0001/echo`);
  const placement = elsewhere(fleet.child.pid, o.pin);
  const env = {
    registry: o.shared.sqliteUrl("health-checks"),
    fleetUrl: fleet.url,
    fleetPid: fleet.child.pid,
    backendPid: o.backendPid,
  };
  // Registrations go through a gateway without checks, which is then stopped: the registry keeps them.
  const filler = await startServer("portico gateway (registering)", o.gatewayScript, [
    "--backend",
    o.backendUrl,
    "--registry",
    env.registry,
    "--options",
    JSON.stringify({ health: false }),
  ]);
  const t0 = performance.now();
  try {
    await registerApps(filler.url, fleet.url, o.apps);
  } finally {
    await stopChild(filler.child, 5000);
  }
  const registerS = (performance.now() - t0) / 1000;
  o.log(`  registered ${o.apps} apps at ${fleet.url}/a0001.. in ${registerS.toFixed(1)} s`);
  const rounds = { on: [], off: [] };
  for (let r = 1; r <= o.rounds; r++) {
    for (const mode of r % 2 === 1 ? MODES : [...MODES].reverse()) {
      const res = await measureOnce(o, mode, o.duration, env).catch((err) => ({
        error: String(err.message ?? err).split("\n")[0],
      }));
      rounds[mode.key].push(res);
      const cpu = res.cpu?.proxy_us_per_req;
      o.log(
        `  round ${r}/${o.rounds} ${mode.label.padEnd(10)} ` +
          (res.error
            ? `error: ${res.error}`
            : `${Math.round(res.rps)} req/s  p99 ${res.p99_ms.toFixed(3)} ms` +
              (cpu == null ? "" : `  cpu ${cpu.toFixed(1)} us/req`) +
              `  heartbeats ${res.heartbeats_per_s.toFixed(0)}/s` +
              (res.instances ? `  healthy ${res.instances.healthy}/${o.apps}` : "") +
              (res.errors ? `  (${res.errors} errors)` : "")),
      );
    }
  }
  const on = summary(rounds.on);
  const off = summary(rounds.off);
  const pairs = rounds.on.map((x, i) => ratio(x.rps, rounds.off[i]?.rps));
  const last = rounds.on.filter((x) => x.instances).at(-1)?.instances ?? null;
  // Per check, roughly: the CPU time per second the checks added, over the checks per second
  // (assuming a forwarded request costs the same with and without them).
  const perCheck = (us) => round((us * on.rps) / on.heartbeats_per_s, 1);
  return {
    apps: o.apps,
    app_urls: `${fleet.url}/a0001 .. /${appName(o.apps)} (one Portico EchoService process)`,
    check: "POST <base>/heartbeat (Portico apps), through the gateway's pool for that origin",
    interval_ms: INTERVAL_MS,
    // The N apps' heartbeats ("echoer", a plain HTTP app, gets a TCP connect on top).
    expected_heartbeats_per_s: round(o.apps / (INTERVAL_MS / 1000), 1),
    register_s: round(registerS, 1),
    checked_service_cpu: placement,
    approx_gateway_cpu_us_per_check: perCheck(on.cpu_us_per_req - off.cpu_us_per_req),
    approx_checked_service_cpu_us_per_check: perCheck(on.checked_service_cpu_us_per_req),
    by_mode: { on, off },
    instances_after_last_on_round: last,
    rps_on_vs_off: round(ratio(on.rps, off.rps), 3),
    rps_on_vs_off_paired: round(median(pairs), 3),
    cpu_on_vs_off: round(ratio(on.cpu_us_per_req, off.cpu_us_per_req), 3),
  };
}
