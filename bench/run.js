// Benchmark harness entry (npm run bench): starts the echo backend and every contender as its own
// process on loopback, warms them up, runs them interleaved (A, B, C, C, B, A, ...) for N rounds
// at 1 and 32 connections with the load generator in its own process, prints medians with
// ratios and each proxy's CPU time per request (bench/lib/cpu.js), then the figures beyond
// throughput (client, discovery, launch, the change-feed figures: propagation, fan-out, workers,
// the instance figures: balancer, health checks, a killed instance; the MCP figures; and the
// metrics figure: a gateway with metrics against one without), and writes
// bench/results/latest.json. See bench/lib/options.js for the flags.
import { nginxVersion, selectContenders } from "./contenders.js";
import { CPU_SOURCE, cpuMeter } from "./lib/cpu.js";
import { feedEstimate, feedFigures } from "./lib/feed-figures.js";
import { clientFigures, discoveryFigures, launchFigures } from "./lib/figures.js";
import { instanceFigures, instancesEstimate } from "./lib/instances.js";
import { mcpEstimate, mcpFigures, mcpSettings } from "./lib/mcp.js";
import { metricsEstimate, metricsFigures, metricsSettings } from "./lib/metrics.js";
import { measure } from "./lib/load.js";
import { USAGE } from "./lib/options.js";
import { startServer } from "./lib/procs.js";
import * as report from "./lib/report.js";
import { BACKEND, BODY, clientEndpoint, startContenders, verify } from "./lib/setup.js";
import { optionsOrExit, prepareRun, resultTimes, runBench, writeResult } from "./lib/entry.js";

const log = (line) => process.stdout.write(`${line}\n`);
const firstLines = (err, n) =>
  String(err.message ?? err)
    .split("\n")
    .slice(0, n)
    .join(" | ");

/** Load one contender; measured rounds carry `cpu`, its processes' CPU time per request. */
async function loadRound(target, o) {
  const meter = o.metered ? cpuMeter(target) : null;
  const result = await measure({ ...o, url: target.url, headers: target.headers, body: BODY });
  if (meter) result.cpu = meter(result.requests);
  return result;
}

/** Warm every contender up, then run the interleaved rounds (ABBA); returns per-round results. */
async function runRounds(targets, load, opts) {
  const active = Object.keys(targets);
  const top = opts.connections.at(-1);
  const run = (name, connections, duration, metered = true) =>
    loadRound(targets[name], {
      ...load,
      connections,
      duration,
      wrkThreads: opts.wrkThreads,
      metered,
    });
  for (const name of active) {
    log(`warm-up ${name} (${opts.warmup} s @ ${top})`);
    await run(name, top, opts.warmup, false).catch((err) =>
      log(`  warm-up failed: ${firstLines(err, 1)}`),
    );
  }
  const rounds = {};
  for (const conns of opts.connections) {
    rounds[`c${conns}`] = Object.fromEntries(active.map((name) => [name, []]));
  }
  for (let r = 1; r <= opts.rounds; r++) {
    // ABBA: the order reverses every round, so that no contender always follows the same one
    // (drift and after-effects of the previous run cancel out in paired comparisons).
    const order = r % 2 === 1 ? active : [...active].reverse();
    for (const conns of opts.connections) {
      for (const name of order) {
        const duration = conns === 1 ? opts.durationC1 : opts.duration;
        const result = await run(name, conns, duration).catch((err) => ({
          error: firstLines(err, 1),
        }));
        rounds[`c${conns}`][name].push(result);
        const shown = result.error
          ? `error: ${result.error}`
          : `${Math.round(result.rps)} req/s  p50 ${result.p50_ms.toFixed(3)} ms  ` +
            `p99 ${result.p99_ms.toFixed(3)} ms${cpuText(result.cpu)}` +
            `${result.errors ? `  (${result.errors} errors)` : ""}`;
        log(`round ${r}/${opts.rounds} @${String(conns).padStart(2)} ${name.padEnd(14)} ${shown}`);
      }
    }
  }
  return rounds;
}

/** "  cpu 41.2 us/req (backend 30.1)" for a round's log line. */
function cpuText(cpu) {
  if (!cpu) return "";
  const { proxy_us_per_req: proxy, backend_us_per_req: backend } = cpu;
  if (proxy === null) return backend === null ? "" : `  cpu (backend) ${backend.toFixed(1)} us/req`;
  return `  cpu ${proxy.toFixed(1)} us/req${backend === null ? "" : ` (backend ${backend.toFixed(1)})`}`;
}

/** Discovery and launch figures (issue points 3 and 4), or "skipped" placeholders. */
async function extraFigures(opts, load) {
  const skipped = (flag) => ({ status: "skipped", note: `${flag} given` });
  let discovery = { ...skipped("--skip-discovery"), by_app_count: {} };
  if (opts.discovery) {
    const d = opts.discovery;
    log(`discovery figures (apps ${d.counts.join(", ")}, ${d.rounds} x ${d.duration} s rounds):`);
    const note = opts.quick ? "quick run: fewer app counts, repetitions and shorter rounds" : null;
    const timeoutMs = (60 + d.counts.length * (d.warmup + d.rounds * (d.duration + 1) + 30)) * 1000;
    const o = { ...d, connections: opts.connections.at(-1), load, wrkThreads: opts.wrkThreads };
    discovery = await discoveryFigures({ ...o, note, timeoutMs, log });
    log(`  discovery figures took ${discovery.elapsed_s} s`);
  }
  let launch = { ...skipped("--skip-launch"), runs: 0, samples_ms: [], median_ms: null };
  if (opts.launchRuns > 0) {
    log(`launch figures (${opts.launchRuns} x EchoService.launch() until Available):`);
    const note = opts.quick ? `quick run: ${opts.launchRuns} launches instead of 10` : null;
    launch = await launchFigures({ runs: opts.launchRuns, note, log });
    log(`  launch figures took ${launch.elapsed_s} s`);
  }
  return { discovery, launch };
}

async function main(opts, shared) {
  const started = new Date();
  const selected = selectContenders(opts.only, opts.skipRegistries);
  const perRound = opts.connections.reduce(
    (sum, c) => sum + (c === 1 ? opts.durationC1 : opts.duration) + 0.4,
    0,
  );
  const perContender = opts.warmup + opts.rounds * perRound;
  const d = opts.discovery;
  // Per gateway: load rounds, then ~3 ms per registration and ~0.6 ms per app per repetition.
  const reps = d ? d.reps + d.firstCallRuns : 0;
  const perApps = d ? d.warmup + d.rounds * (d.duration + 0.4) + reps * 0.1 : 0;
  const perApp = 0.003 + reps * 0.0006;
  const discoveryEstimate = d ? 3 + d.counts.reduce((s, n) => s + perApps + n * perApp, 0) : 0;
  const estimate = Math.round(
    15 +
      selected.length * (perContender + 1) +
      (opts.rounds + 1) * 4 +
      discoveryEstimate +
      opts.launchRuns * 0.6 +
      feedEstimate(opts) +
      instancesEstimate(opts) +
      mcpEstimate(opts) +
      metricsEstimate(opts),
  );
  const { load, pinning } = prepareRun(opts, estimate);

  const backend = await startServer("backend", BACKEND, ["--impl", opts.backend]);
  await verify(`${backend.url}/echo`);
  const { contenders, targets: live } = await startContenders(selected, backend, opts, log, shared);
  const rounds = await runRounds(live, load, opts);

  const endpoint = await clientEndpoint(backend.url, opts, log);
  log(`client figures (sequential calls to ${endpoint.url}, ${endpoint.impl} backend):`);
  const client = await clientFigures({
    url: endpoint.url,
    body: BODY,
    rounds: opts.rounds,
    calls: opts.clientCalls,
    warmup: opts.quick ? opts.clientCalls : opts.clientCalls / 2,
    warmupAll: !opts.quick,
    log,
  });
  client.backend_impl = endpoint.impl;
  const scenarios = report.summarise(rounds);
  const ratios = report.ratios(scenarios, rounds);
  const cpu = report.cpuFigures(scenarios, CPU_SOURCE);
  const { discovery, launch } = await extraFigures(opts, load);
  const feed = await feedFigures({ opts, load, shared, log });
  const { propagation, fanout, workers } = feed;
  const instances = await instanceFigures({ opts, load, shared, log });
  const mcp = await mcpFigures({ opts, load, shared, log });
  const metrics = await metricsFigures({ opts, load, shared, log });
  const targets = report.targets({
    scenarios,
    ratios,
    client,
    discovery,
    launch,
    feed,
    instances,
    mcp,
    metrics,
  });
  report.printReport({
    scenarios,
    ratios,
    contenders,
    cpu,
    discovery,
    launch,
    feed,
    instances,
    mcp,
    metrics,
    targets,
    connections: opts.connections,
    log,
  });

  const result = {
    ...resultTimes(started),
    options: {
      quick: opts.quick,
      only: opts.only,
      rounds: opts.rounds,
      duration_s: opts.duration,
      warmup_s: opts.warmup,
      connections: opts.connections,
      body: BODY,
      backend_impl: opts.backend,
      discovery: opts.discovery,
      launch_runs: opts.launchRuns,
      skip_registries: opts.skipRegistries,
      propagation: opts.propagation,
      fanout: opts.fanout,
      workers: opts.workers,
      instances: opts.instances,
      mcp: mcpSettings(opts),
      metrics: metricsSettings(opts),
    },
    load_generator: load.version ? `${load.tool} ${load.version}` : load.tool,
    latency_source: load.latency_source,
    cpu_pinning: pinning,
    machine: report.machineInfo(),
    versions: report.versions({ nginx: nginxVersion(), wrk: load.version }),
    contenders,
    scenarios,
    ratios,
    cpu_us_per_req: cpu,
    rounds,
    client,
    discovery,
    launch,
    propagation,
    fanout,
    workers,
    instances,
    mcp,
    metrics,
    targets,
  };
  writeResult(opts.out, result);
}

const opts = optionsOrExit();
if (opts.help) {
  log(USAGE);
  process.exit(0);
}
runBench(main, opts);
