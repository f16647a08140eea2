// Command-line options of bench/run.js, with the defaults for a full and a --quick run.
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

export const USAGE = `usage: node bench/run.js [options]   (npm run bench -- [options])
  --quick              short run: 3 rounds of 2 s (1 s at 1 connection), 1 s warm-up;
                       discovery with 1 and 1,000 apps, 2 rounds of 1 s; 5 launches;
                       propagation 100 trials; fan-out 5 repetitions; workers 2 rounds
                       of 2 s; instance figures with 2 s rounds (4 to 5 minutes)
  --only a,b           contenders to run (default all): direct, portico, portico-secured,
                       portico-sqlite, portico-redis, fastify-proxy, undici-proxy,
                       moleculer-web, nginx; a selected one that fails aborts
  --rounds N           interleaved rounds (default 3)
  --duration S         seconds per measurement (default 10, quick 2)
  --warmup S           warm-up seconds per contender (default 5, quick 1)
  --load wrk|autocannon  force the load generator (default: wrk when on the PATH)
  --wrk-threads N      wrk threads for the 32-connection scenario (default 1)
  --backend fastify|portico  echo backend implementation (default fastify)
  --pin CPUS|none      taskset CPU list shared by every process (default 0 on Linux)
  --apps 1,100,1000    app counts of the discovery figures (default 1,100,1000; quick 1,1000)
  --skip-discovery     no discovery figures (registering 1,000 apps, list, connect, forwarding)
  --skip-launch        no EchoService.launch() figure
  --skip-registries    leave out portico-sqlite and portico-redis (unless named in --only)
  --skip-propagation   no propagation figure (register on replica A -> seen by B's subscriber)
  --skip-fanout        no fan-out figure (N /events subscribers, one registration)
  --skip-workers       no workers figure (gateway with 2 workers vs 1, unpinned)
  --skip-instances     no instance figures (3 instances vs 1, health checks of N apps on vs
                       off, an instance killed under load); node bench/instances.js runs
                       only these
  --skip-mcp           no MCP figures (tools/call vs HTTP, tools/list with 1/100/1,000 apps);
                       node bench/mcp.js runs only these
  --skip-metrics       no metrics figure (gateway with metrics vs metrics: false, same run);
                       node bench/metrics.js runs only this
  --health-apps N      apps of the health-check figure (default 1000)
  --trials N           propagation trials per registry (default 300, quick 100; at least 100)
  --subscribers N      fan-out subscribers (default 1000)
  --out FILE           results file (default bench/results/latest.json)`;

export function parseOptions(argv = process.argv.slice(2)) {
  const strings = ["only", "rounds", "duration", "warmup", "load", "backend", "wrk-threads"];
  strings.push("pin", "out", "apps", "trials", "subscribers", "health-apps");
  const options = Object.fromEntries(strings.map((n) => [n, { type: "string" }]));
  const switches = ["quick", "help", "skip-discovery", "skip-launch", "skip-registries"];
  switches.push("skip-propagation", "skip-fanout", "skip-workers", "skip-instances", "skip-mcp");
  switches.push("skip-metrics");
  for (const flag of switches) {
    options[flag] = { type: "boolean" };
  }
  const { values: a } = parseArgs({ args: argv, options, strict: true });
  const int = (name, fallback, min) => {
    const n = Number(a[name] ?? fallback);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
    return n;
  };
  if (a.load && !["wrk", "autocannon"].includes(a.load)) throw new Error("--load: wrk|autocannon");
  if (a.backend && !["fastify", "portico"].includes(a.backend)) {
    throw new Error("--backend: fastify|portico");
  }
  const quick = Boolean(a.quick);
  const apps = (a.apps ?? (quick ? "1,1000" : "1,100,1000")).split(",").map(Number);
  if (apps.some((n) => !Number.isInteger(n) || n < 1 || n > 9999)) {
    throw new Error("--apps: comma-separated integers from 1 to 9999");
  }
  const rounds = int("rounds", 3, 1);
  const duration = int("duration", quick ? 2 : 10, 1);
  const warmup = int("warmup", quick ? 1 : 5, 1);
  return {
    help: Boolean(a.help),
    quick,
    only: a.only ?? null,
    rounds,
    duration,
    // Quick runs measure one connection (latency: thousands of samples a second) for 1 s.
    durationC1: quick && a.duration === undefined ? 1 : duration,
    warmup,
    load: a.load ?? null,
    wrkThreads: int("wrk-threads", 1, 1),
    backend: a.backend ?? "fastify",
    pin: a.pin ?? (process.platform === "linux" ? "0" : "none"),
    pinExplicit: a.pin !== undefined,
    clientCalls: quick ? 1000 : 10000,
    connections: [1, 32],
    // Quick: N in {1, 1000}, 2 repetitions, 2 rounds of 1 s, 5 launches (full: 7, 7, 10).
    discovery: a["skip-discovery"]
      ? null
      : {
          counts: [...new Set(apps)].sort((x, y) => x - y),
          reps: quick ? 2 : 7,
          firstCallRuns: quick ? 2 : 7,
          rounds: quick && a.rounds === undefined ? 2 : rounds,
          duration: quick && a.duration === undefined ? 1 : duration,
          warmup: quick ? 1 : warmup,
          concurrency: 16,
        },
    launchRuns: a["skip-launch"] ? 0 : quick ? 5 : 10,
    skipRegistries: Boolean(a["skip-registries"]),
    // Change-feed figures (issue 7): null when skipped.
    propagation: a["skip-propagation"]
      ? null
      : { trials: int("trials", quick ? 100 : 300, 100), warmup: 5 },
    fanout: a["skip-fanout"]
      ? null
      : { subscribers: int("subscribers", 1000, 1), reps: quick ? 5 : 20, warmup: 2 },
    workers: a["skip-workers"]
      ? null
      : {
          rounds: quick && a.rounds === undefined ? 2 : rounds,
          duration,
          // Each worker warms up on its share of the traffic: 2 s at least.
          warmup: Math.max(2, warmup),
        },
    // Instance figures (issue 8): null when skipped. Their targets are differences of 3 to 5 %,
    // and the noise here comes in bursts of other tenants' work: by default more, shorter
    // rounds (5 x 6 s; quick 3 x 2 s), so one disturbed pair moves the medians less. Each
    // gateway start is warmed up again (a fresh process): 2 s is enough for its JIT here.
    mcp: a["skip-mcp"] ? null : {},
    // The metrics figure (issue 10): a cost of at most 3 %, under noise here of +-15 % between
    // rounds of the same gateway: many short interleaved rounds (12 x 3 s; quick 3 x 2 s), so
    // one disturbed pair moves the medians less.
    metrics: a["skip-metrics"]
      ? null
      : {
          rounds: a.rounds === undefined ? (quick ? 3 : 12) : rounds,
          duration: a.duration === undefined ? (quick ? 2 : 3) : duration,
          warmup: quick ? 1 : 2,
        },
    instances: a["skip-instances"]
      ? null
      : {
          rounds: a.rounds === undefined ? (quick ? 3 : 5) : rounds,
          duration: a.duration === undefined ? (quick ? 2 : 6) : duration,
          warmup: quick ? 1 : 2,
          healthApps: int("health-apps", 1000, 1),
          // The kill: load for `killLoad` s, SIGKILL after `killAfter` s; then wait (bounded) for
          // the active checks to mark it unhealthy.
          killLoad: quick ? 6 : 8,
          killAfter: quick ? 2 : 3,
        },
    out: a.out ?? fileURLToPath(new URL("../results/latest.json", import.meta.url)),
  };
}
