// Only the MCP figures of issue 9 (bench/lib/mcp.js), with the harness's options and pinning:
// `npm run build --silent && node bench/mcp.js [--quick]`. Prints them with their targets and
// writes bench/results/mcp.json (--out FILE to choose; never latest.json by default, which holds
// a full run). The full run (npm run bench) measures them too.
import { runFigures } from "./lib/entry.js";
import { mcpEstimate, mcpFigures, mcpSettings } from "./lib/mcp.js";
import { mcpTargets, printMcp } from "./lib/mcp-report.js";

runFigures({
  script: "bench/mcp.js",
  what: "the MCP figures",
  key: "mcp",
  enabled: (opts) => opts.mcp !== null,
  estimate: mcpEstimate,
  figures: mcpFigures,
  print: printMcp,
  targets: mcpTargets,
  options: (opts) => ({ mcp: mcpSettings(opts) }),
});
