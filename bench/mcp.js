// Only the MCP figures of issue 9 (bench/lib/mcp.js), with the harness's options and pinning:
// `npm run build --silent && node bench/mcp.js [--quick]`. Prints them with their targets and
// writes bench/results/mcp.json (--out FILE to choose; never latest.json by default, which holds
// a full run). The full run (npm run bench) measures them too.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { mcpEstimate, mcpFigures, mcpSettings } from "./lib/mcp.js";
import { mcpTargets, printMcp } from "./lib/mcp-report.js";
import { chooseLoadTool } from "./lib/load.js";
import { USAGE } from "./lib/options.js";
import { installCleanup, pinCpus } from "./lib/procs.js";
import { judge, machineInfo, printTargets } from "./lib/report.js";
import { optionsOrExit, runBench } from "./lib/entry.js";

const log = (line) => process.stdout.write(`${line}\n`);

async function main(opts, shared) {
  const started = new Date();
  const estimate = mcpEstimate(opts) + 5;
  installCleanup((estimate * 2 + 60) * 1000);
  const pinning = pinCpus(opts.pin, opts.pinExplicit);
  const load = chooseLoadTool(opts.load);
  log(`load generator: ${load.tool} ${load.version ?? ""} (latency: ${load.latency_source})`);
  log(`cpu pinning: ${pinning}; estimated time ~${estimate} s`);
  const mcp = await mcpFigures({ opts, load, shared, log });
  printMcp(mcp, log);
  const targets = judge(mcpTargets(mcp));
  printTargets(targets, log);
  const finished = new Date();
  const result = {
    schema: 1,
    started_at: started.toISOString(),
    finished_at: finished.toISOString(),
    elapsed_s: (finished - started) / 1000,
    options: { quick: opts.quick, mcp: mcpSettings(opts) },
    load_generator: load.version ? `${load.tool} ${load.version}` : load.tool,
    cpu_pinning: pinning,
    machine: machineInfo(),
    mcp,
    targets,
  };
  const out = process.argv.includes("--out")
    ? opts.out
    : fileURLToPath(new URL("./results/mcp.json", import.meta.url));
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  log(`\nwrote ${out} (${result.elapsed_s.toFixed(1)} s)`);
}

const opts = optionsOrExit();
if (opts.help || opts.mcp === null) {
  log(`node bench/mcp.js runs only the MCP figures; options as for bench/run.js:\n${USAGE}`);
  process.exit(opts.help ? 0 : 2);
}
runBench(main, opts);
