// Benchmark harness entry (npm run bench): starts the echo backend and every contender as its own
// process on loopback, warms them up, runs them interleaved for N rounds at 1 and 32 connections
// with the load generator in its own process, prints medians with ratios and writes
// bench/results/latest.json.
// Usage: node bench/run.js [--quick] [--only a,b] [--rounds N] [--duration S] [--warmup S]
//        [--load wrk|autocannon] [--backend fastify|portico] [--wrk-threads N] [--out FILE]
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { CONTENDERS, nginxVersion, selectContenders } from "./contenders.js";
import { clientFigures, discoveryFigures, launchFigures } from "./lib/figures.js";
import { chooseLoadTool, measure } from "./lib/load.js";
import { installCleanup, startServer, stopAll } from "./lib/procs.js";
import * as report from "./lib/report.js";

const BODY = JSON.stringify({ message: "hello world from the benchmark", delay: 0 });
const EXPECTED = JSON.stringify({ echoed: "hello world from the benchmark" });
const CONNECTIONS = [1, 32];
const log = (line) => process.stdout.write(`${line}\n`);

const { values: a } = parseArgs({
  options: Object.fromEntries(
    ["only", "rounds", "duration", "warmup", "load", "backend", "wrk-threads", "out"]
      .map((n) => [n, { type: "string" }])
      .concat([
        ["quick", { type: "boolean" }],
        ["help", { type: "boolean" }],
      ]),
  ),
});
if (a.help) {
  log(`usage: node bench/run.js [--quick] [--only ${CONTENDERS.map((c) => c.name).join(",")}]`);
  log(
    "  [--rounds N] [--duration S] [--warmup S] [--load wrk|autocannon] [--backend fastify|portico]",
  );
  process.exit(0);
}
const opts = {
  quick: Boolean(a.quick),
  rounds: Math.max(1, Number(a.rounds ?? 3)),
  duration: Math.max(1, Math.round(Number(a.duration ?? (a.quick ? 2 : 10)))),
  warmup: Math.max(1, Math.round(Number(a.warmup ?? (a.quick ? 1 : 5)))),
  clientCalls: a.quick ? 2000 : 10000,
  backend: a.backend ?? "fastify",
  wrkThreads: Number(a["wrk-threads"] ?? 1),
  out: a.out ?? fileURLToPath(new URL("./results/latest.json", import.meta.url)),
};
const selected = selectContenders(a.only);
const perContender = opts.warmup + opts.rounds * CONNECTIONS.length * (opts.duration + 3);
installCleanup((90 + selected.length * perContender + opts.rounds * 30) * 1500);

async function verify(url) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), 5000);
  try {
    const headers = { "content-type": "application/json" };
    const res = await fetch(url, { method: "POST", headers, body: BODY, signal: abort.signal });
    const text = await res.text();
    if (res.status !== 200 || JSON.stringify(JSON.parse(text)) !== EXPECTED) {
      throw new Error(`unexpected answer ${res.status} ${text.slice(0, 200)}`);
    }
  } finally {
    clearTimeout(timer);
  }
}

async function main() {
  const started = new Date();
  const load = chooseLoadTool(a.load);
  log(
    `load generator: ${load.tool}${load.version ? ` ${load.version}` : ""} (latency: ${load.latency_source})`,
  );
  const backend = await startServer(
    "backend",
    fileURLToPath(new URL("./servers/backend.js", import.meta.url)),
    ["--impl", opts.backend],
  );
  const backendUrl = backend.url;
  await verify(`${backendUrl}/echo`);

  const contenders = {};
  const targetsOf = {};
  for (const c of selected) {
    const skip = c.available?.();
    if (skip) {
      contenders[c.name] = { label: c.label, status: "skipped", note: skip };
      continue;
    }
    try {
      const { url } = await c.start({ backendUrl, startServer });
      await verify(`${url}${c.path}`);
      targetsOf[c.name] = `${url}${c.path}`;
      contenders[c.name] = { label: c.label, status: "ok", url: targetsOf[c.name], note: c.note };
      log(`started ${c.name.padEnd(14)} ${targetsOf[c.name]}`);
    } catch (err) {
      const msg = String(err.message ?? err);
      if (a.only) throw new Error(`contender ${c.name} failed (selected with --only): ${msg}`);
      contenders[c.name] = {
        label: c.label,
        status: "error",
        error: msg.split("\n").slice(0, 3).join(" | "),
      };
      log(`ERROR   ${c.name.padEnd(14)} ${contenders[c.name].error}`);
    }
  }
  const active = Object.keys(targetsOf);
  const run = (name, connections, duration) =>
    measure({
      tool: load.tool,
      url: targetsOf[name],
      connections,
      duration,
      body: BODY,
      wrkThreads: opts.wrkThreads,
    });

  for (const name of active) {
    log(`warm-up ${name} (${opts.warmup} s @ ${CONNECTIONS.at(-1)})`);
    await run(name, CONNECTIONS.at(-1), opts.warmup);
  }
  const rounds = Object.fromEntries(
    CONNECTIONS.map((n) => [`c${n}`, Object.fromEntries(active.map((c) => [c, []]))]),
  );
  for (let r = 1; r <= opts.rounds; r++) {
    for (const conns of CONNECTIONS) {
      for (const name of active) {
        let result;
        try {
          result = await run(name, conns, opts.duration);
        } catch (err) {
          result = { error: String(err.message ?? err).split("\n")[0] };
        }
        rounds[`c${conns}`][name].push(result);
        const shown = result.error
          ? `error: ${result.error}`
          : `${Math.round(result.rps)} req/s p50 ${result.p50_ms.toFixed(3)} ms p99 ${result.p99_ms.toFixed(3)} ms${result.errors ? ` (${result.errors} errors)` : ""}`;
        log(`round ${r}/${opts.rounds} @${String(conns).padStart(2)} ${name.padEnd(14)} ${shown}`);
      }
    }
  }

  log("client figures (sequential calls to the backend):");
  const client = await clientFigures({
    url: `${backendUrl}/echo`,
    body: BODY,
    rounds: opts.rounds,
    calls: opts.clientCalls,
    warmup: Math.round(opts.clientCalls / 5),
    log,
  });
  const scenarios = report.summarise(rounds);
  const ratios = report.ratios(scenarios);
  const discovery = discoveryFigures();
  const launch = launchFigures();
  const targets = report.targets({ scenarios, client, discovery, launch });
  report.printReport({ scenarios, ratios, contenders, targets, connections: CONNECTIONS, log });

  const finished = new Date();
  const result = {
    schema: 1,
    started_at: started.toISOString(),
    finished_at: finished.toISOString(),
    elapsed_s: (finished - started) / 1000,
    options: {
      quick: opts.quick,
      rounds: opts.rounds,
      duration_s: opts.duration,
      warmup_s: opts.warmup,
      connections: CONNECTIONS,
      body: BODY,
      backend_impl: opts.backend,
      only: a.only ?? null,
    },
    load_generator: load.tool,
    latency_source: load.latency_source,
    machine: report.machineInfo(),
    versions: report.versions({ nginx: nginxVersion(), wrk: load.version }),
    contenders,
    scenarios,
    ratios,
    rounds,
    client,
    discovery,
    launch,
    targets,
  };
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(result, null, 2)}\n`);
  log(`\nwrote ${opts.out} (${result.elapsed_s.toFixed(1)} s)`);
}

main()
  .then(() => stopAll())
  .then(() => process.exit(0))
  .catch(async (err) => {
    process.stderr.write(`bench failed: ${err.stack ?? err}\n`);
    await stopAll();
    process.exit(1);
  });
