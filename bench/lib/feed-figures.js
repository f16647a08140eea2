// The change-feed figures of issue 7 (bench point 8), after the contenders' rounds: propagation
// between two replicas (bench/lib/propagation.js), fan-out to many /events subscribers
// (bench/lib/fanout.js) and gateway workers, unpinned (bench/lib/workers.js). The apps they
// register are a Portico EchoService (its endpoints are discovered, as a real registration's
// are), started here and stopped at the end. Each figure is { status: ok|error|skipped, ... }.
import { fanoutFigures } from "./fanout.js";
import { propagationFigures } from "./propagation.js";
import { startServer, stopChild } from "./procs.js";
import { BACKEND, verify } from "./setup.js";
import { NO_REDIS, hasRedisServer } from "./shared.js";
import { round } from "./stats.js";
import { workersFigures } from "./workers.js";

const skipped = (flag) => ({ status: "skipped", note: `${flag} given` });
const firstLine = (err) => String(err?.message ?? err).split("\n")[0];

/** Rough seconds the figures take with these options (for the run's estimate and deadline). */
export function feedEstimate(opts) {
  let s = 0;
  if (opts.propagation) s += 8 + 2 * (opts.propagation.trials + 5) * 0.04;
  if (opts.fanout) s += 5 + (opts.fanout.reps + 1) * 0.6 + opts.fanout.subscribers * 0.003;
  if (opts.workers) {
    const w = opts.workers;
    s += 12 + 2 * (w.warmup + 1) + 2 * w.rounds * (w.duration + 0.5);
  }
  return s;
}

/** Run the figures `opts` asks for; never throws. */
export async function feedFigures({ opts, load, shared, log }) {
  const out = {
    propagation: skipped("--skip-propagation"),
    fanout: skipped("--skip-fanout"),
    workers: skipped("--skip-workers"),
  };
  let app = null;
  try {
    if (opts.propagation || opts.fanout) {
      try {
        app = await startServer("portico echo app (change-feed figures)", BACKEND, [
          "--impl",
          "portico",
        ]);
        await verify(`${app.url}/echo`);
      } catch (err) {
        const error = `no Portico echo app: ${firstLine(err)}`;
        if (opts.propagation) out.propagation = { status: "error", error };
        if (opts.fanout) out.fanout = { status: "error", error };
        app = null;
      }
    }
    if (opts.propagation && app) {
      const p = opts.propagation;
      log(`propagation figures (${p.trials} trials per registry, ${p.warmup} warm-up):`);
      const redis = hasRedisServer();
      out.propagation = await propagationFigures({
        ...p,
        shared,
        appUrl: app.url,
        redis,
        redisNote: redis ? null : NO_REDIS,
        log,
      });
      log(`  propagation figures took ${out.propagation.elapsed_s} s`);
    }
    if (opts.fanout && app) {
      const f = opts.fanout;
      log(`fan-out figures (${f.subscribers} /events subscribers, ${f.reps} repetitions):`);
      out.fanout = await fanoutFigures({ ...f, appUrl: app.url, log });
      log(`  fan-out figures took ${out.fanout.elapsed_s} s`);
    }
  } finally {
    if (app) await stopChild(app.child);
  }
  if (opts.workers) {
    const w = opts.workers;
    const top = opts.connections.at(-1);
    log(
      `workers figures (1 vs 2 workers, sqlite, @${top}, ${w.rounds} x ${w.duration} s, unpinned):`,
    );
    out.workers = await workersFigures({
      ...w,
      shared,
      load,
      connections: top,
      wrkThreads: opts.wrkThreads,
      pin: opts.pin,
      pinExplicit: opts.pinExplicit,
      log,
    });
    log(`  workers figures took ${out.workers.elapsed_s} s`);
  }
  out.elapsed_s = round(
    ["propagation", "fanout", "workers"].reduce((s, k) => s + (out[k].elapsed_s ?? 0), 0),
    1,
  );
  return out;
}
