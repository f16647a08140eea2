// Only the instance figures of issue 8 (bench/lib/instances.js), with the harness's options and
// pinning: `npm run build --silent && node bench/instances.js [--quick]`. Prints them with their
// targets and writes bench/results/instances.json (--out FILE to choose; never latest.json by
// default, which holds a full run). The full run (npm run bench) measures them too.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { instanceFigures, instancesEstimate } from "./lib/instances.js";
import { instanceTargets, printInstances } from "./lib/instances-report.js";
import { chooseLoadTool } from "./lib/load.js";
import { USAGE } from "./lib/options.js";
import { installCleanup, pinCpus } from "./lib/procs.js";
import { judge, machineInfo, printTargets } from "./lib/report.js";
import { optionsOrExit, runBench } from "./lib/entry.js";

const log = (line) => process.stdout.write(`${line}\n`);

async function main(opts, shared) {
  const started = new Date();
  const estimate = instancesEstimate(opts) + 5;
  installCleanup((estimate * 2 + 60) * 1000);
  const pinning = pinCpus(opts.pin, opts.pinExplicit);
  const load = chooseLoadTool(opts.load);
  log(`load generator: ${load.tool} ${load.version ?? ""} (latency: ${load.latency_source})`);
  log(`cpu pinning: ${pinning}; estimated time ~${estimate} s`);
  const instances = await instanceFigures({ opts, load, shared, log });
  printInstances(instances, log);
  const targets = judge(instanceTargets(instances));
  printTargets(targets, log);
  const finished = new Date();
  const result = {
    schema: 1,
    started_at: started.toISOString(),
    finished_at: finished.toISOString(),
    elapsed_s: (finished - started) / 1000,
    options: { quick: opts.quick, instances: opts.instances, connections: opts.connections },
    load_generator: load.version ? `${load.tool} ${load.version}` : load.tool,
    cpu_pinning: pinning,
    machine: machineInfo(),
    instances,
    targets,
  };
  const out = process.argv.includes("--out")
    ? opts.out
    : fileURLToPath(new URL("./results/instances.json", import.meta.url));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  log(`\nwrote ${out} (${result.elapsed_s.toFixed(1)} s)`);
}

const opts = optionsOrExit();
if (opts.help || !opts.instances) {
  log(
    `node bench/instances.js runs only the instance figures; options as for bench/run.js:\n${USAGE}`,
  );
  process.exit(opts.help ? 0 : 2);
}
runBench(main, opts);
