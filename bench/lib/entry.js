// How a benchmark script starts and ends, in one place: options parsed (a usage error exits 2
// with the usage), then `main(opts, shared)` with the shared resources, every server process
// stopped afterwards, and the exit code set whatever happened. `runFigures` is the whole entry of
// a script that measures one group of figures on its own (bench/mcp.js, bench/instances.js).
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { chooseLoadTool } from "./load.js";
import { parseOptions, USAGE } from "./options.js";
import { installCleanup, pinCpus, stopAll } from "./procs.js";
import { judge, machineInfo, printTargets } from "./report.js";
import { createShared } from "./shared.js";

const log = (line) => process.stdout.write(`${line}\n`);

/** The parsed command line, or exit 2 with the error and the usage. */
export function optionsOrExit() {
  try {
    return parseOptions();
  } catch (err) {
    process.stderr.write(`${err.message}\n${USAGE}\n`);
    process.exit(2);
  }
}

/** Runs `main(opts, shared)`, stops every process it started, and exits 0 or 1. */
export function runBench(main, opts) {
  const shared = createShared();
  main(opts, shared)
    .finally(() => shared.close())
    .then(() => stopAll())
    .then(() => process.exit(0))
    .catch(async (err) => {
      process.stderr.write(`bench failed: ${err.stack ?? err}\n`);
      await stopAll();
      process.exit(1);
    });
}

/**
 * Installs the cleanup deadline (twice the estimate plus a minute), pins the CPUs and picks the
 * load tool, logging both; returns { load, pinning }.
 */
export function prepareRun(opts, estimate) {
  installCleanup((estimate * 2 + 60) * 1000);
  const pinning = pinCpus(opts.pin, opts.pinExplicit);
  const load = chooseLoadTool(opts.load);
  log(`load generator: ${load.tool} ${load.version ?? ""} (latency: ${load.latency_source})`);
  log(`cpu pinning: ${pinning}; estimated time ~${estimate} s`);
  return { load, pinning };
}

/** The opening fields of a results file: schema, start and finish times, elapsed seconds. */
export function resultTimes(started) {
  const finished = new Date();
  return {
    schema: 1,
    started_at: started.toISOString(),
    finished_at: finished.toISOString(),
    elapsed_s: (finished - started) / 1000,
  };
}

/** Writes `result` as JSON to `out` (creating its folder) and logs where and how long it took. */
export function writeResult(out, result) {
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  log(`\nwrote ${out} (${result.elapsed_s.toFixed(1)} s)`);
}

/**
 * The entry of a script that measures one group of figures with the harness's options and
 * pinning, prints them with their targets and writes bench/results/<key>.json (--out FILE to
 * choose; never latest.json, which holds a full run). `--help`, or options that turn the group
 * off, print the usage (exit 0 and 2).
 * @param {{ script: string, what: string, key: string, enabled: (opts) => boolean,
 *   estimate: (opts) => number, figures: (o) => Promise<object>, print: (figures, log) => void,
 *   targets: (figures) => object[], options: (opts) => object }} spec
 * @example
 * runFigures({ script: "bench/mcp.js", what: "the MCP figures", key: "mcp", ... });
 */
export function runFigures(spec) {
  const opts = optionsOrExit();
  if (opts.help || !spec.enabled(opts)) {
    log(`node ${spec.script} runs only ${spec.what}; options as for bench/run.js:\n${USAGE}`);
    process.exit(opts.help ? 0 : 2);
  }
  runBench(async (_, shared) => {
    const started = new Date();
    const { load, pinning } = prepareRun(opts, spec.estimate(opts) + 5);
    const figures = await spec.figures({ opts, load, shared, log });
    spec.print(figures, log);
    const targets = judge(spec.targets(figures));
    printTargets(targets, log);
    const result = {
      ...resultTimes(started),
      options: { quick: opts.quick, ...spec.options(opts) },
      load_generator: load.version ? `${load.tool} ${load.version}` : load.tool,
      cpu_pinning: pinning,
      machine: machineInfo(),
      [spec.key]: figures,
      targets,
    };
    const out = process.argv.includes("--out")
      ? opts.out
      : fileURLToPath(new URL(`../results/${spec.key}.json`, import.meta.url));
    writeResult(out, result);
  }, opts);
}
