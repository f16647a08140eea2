// The instance figures of issue 8 (bench point 8), after the change-feed figures and pinned like
// the contenders: the balancer's cost, 3 instances vs 1 (bench/lib/balance.js); health checks of
// 1,000 apps on vs off (bench/lib/health-checks.js); an instance killed under load
// (bench/lib/instance-kill.js). Three fastify echo backends are started here and shared (each
// counts the requests it serves; the first listens on 3 ports): all serve the balance figure, the first is the forwarded app of the
// health-check figure, the first two are the surviving instances of the kill figure. Every
// process is stopped at the end.
// Each figure is { status: ok|error|skipped, ... } and never throws.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { balanceFigures } from "./balance.js";
import { healthCheckFigures } from "./health-checks.js";
import { instanceKillFigures } from "./instance-kill.js";
import { startServer, stopChild } from "./procs.js";
import { BACKEND, verify } from "./setup.js";
import { round } from "./stats.js";

const GATEWAY = fileURLToPath(new URL("../servers/portico-gateway.js", import.meta.url));
const FIGURES = ["balance", "health_checks", "kill"];
const firstLine = (err) => String(err?.message ?? err).split("\n")[0];
const skipped = () => ({ status: "skipped", note: "--skip-instances given" });

/** Rough seconds the figures take with these options (for the run's estimate and deadline). */
export function instancesEstimate(opts) {
  const i = opts.instances;
  if (!i) return 0;
  const balance = 5 + 4 * i.warmup + i.rounds * 4 * (i.duration + 0.5);
  const health = 4 + i.healthApps * 0.004 + i.rounds * 2 * (i.warmup + i.duration + 3);
  const kill = 4 + Math.max(i.killLoad, i.killAfter + 14);
  return Math.round(balance + health + kill);
}

/** Placeholders for a run without the figures. */
export function skippedInstances() {
  return Object.fromEntries(FIGURES.map((k) => [k, skipped()]));
}

/**
 * With `--pin none` nothing is pinned: the backends of these figures are still put on one CPU
 * (the first this process may use), since the balance figure compares 3 backends with 1 at the
 * same backend capacity. Returns a description.
 */
function backendsOnOneCpu(pids, pin) {
  if (pin !== "none") return `every process on CPU ${pin} (the run's pinning)`;
  const opts = { encoding: "utf8", timeout: 5000 };
  const mine = spawnSync("taskset", ["-c", "-p", String(process.pid)], opts);
  const cpu = /list:\s*(\d+)/.exec(mine.stdout ?? "")?.[1];
  if (!cpu) return "backends not pinned (taskset unavailable)";
  for (const pid of pids) spawnSync("taskset", ["-a", "-p", "-c", cpu, String(pid)], opts);
  return `backends on CPU ${cpu}, the rest unpinned`;
}

/** Run one figure; a failure becomes { status: "error", error }. */
async function figure(name, fn, log) {
  const t0 = performance.now();
  try {
    const out = { status: "ok", ...(await fn()) };
    out.elapsed_s = round((performance.now() - t0) / 1000, 1);
    return out;
  } catch (err) {
    log(`  ${name} figure failed: ${firstLine(err)}`);
    return {
      status: "error",
      error: firstLine(err),
      elapsed_s: round((performance.now() - t0) / 1000, 1),
    };
  }
}

/** Run the figures `opts.instances` asks for; never throws. */
export async function instanceFigures({ opts, load, shared, log }) {
  if (!opts.instances) return skippedInstances();
  const i = opts.instances;
  const procs = [];
  const common = {
    gatewayScript: GATEWAY,
    load,
    connections: opts.connections.at(-1),
    wrkThreads: opts.wrkThreads,
    warmup: i.warmup,
    rounds: i.rounds,
    duration: i.duration,
    procs,
    log,
  };
  const out = {};
  try {
    let backends;
    try {
      const started = await Promise.all(
        [3, 1, 1].map((ports, n) =>
          startServer(`backend ${n + 1} (instance figures)`, BACKEND, ["--listen", String(ports)]),
        ),
      );
      procs.push(...started.map((s) => s.child));
      backends = started.map((s) => ({ ports: s.url.split(","), pid: s.child.pid }));
      for (const b of backends) for (const url of b.ports) await verify(`${url}/echo`);
    } catch (err) {
      const error = `no echo backends: ${firstLine(err)}`;
      return Object.fromEntries(FIGURES.map((k) => [k, { status: "error", error }]));
    }
    const pinning = backendsOnOneCpu(
      backends.map((b) => b.pid),
      opts.pin,
    );
    const how = `${load.tool} @${common.connections}, ${i.rounds} x ${i.duration} s`;
    log(`instance figures: 3 instances vs 1 (${how}; ${pinning}):`);
    out.balance = await figure("balance", () => balanceFigures({ ...common, backends }), log);
    if (out.balance.status === "ok") out.balance.cpu_pinning = pinning;
    log(`  balance figure took ${out.balance.elapsed_s} s`);
    log(`health checks of ${i.healthApps} apps, on vs off (${how}, a fresh gateway each):`);
    out.health_checks = await figure(
      "health-check",
      () =>
        healthCheckFigures({
          ...common,
          apps: i.healthApps,
          backendUrl: backends[0].ports[0],
          backendPid: backends[0].pid,
          shared,
          pin: opts.pin,
        }),
      log,
    );
    log(`  health-check figure took ${out.health_checks.elapsed_s} s`);
    log(`an instance killed under load (1 of 3, after ${i.killAfter} s of ${i.killLoad} s):`);
    out.kill = await figure(
      "kill",
      () =>
        instanceKillFigures({
          ...common,
          backends: backends.slice(0, 2).map((b) => ({ url: b.ports[0] })),
          killLoad: i.killLoad,
          killAfter: i.killAfter,
        }),
      log,
    );
    log(`  kill figure took ${out.kill.elapsed_s} s`);
  } finally {
    await Promise.allSettled(procs.map((c) => stopChild(c, 5000)));
  }
  out.elapsed_s = round(
    FIGURES.reduce((s, k) => s + (out[k]?.elapsed_s ?? 0), 0),
    1,
  );
  return out;
}
