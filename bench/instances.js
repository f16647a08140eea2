// Only the instance figures of issue 8 (bench/lib/instances.js), with the harness's options and
// pinning: `npm run build --silent && node bench/instances.js [--quick]`. Prints them with their
// targets and writes bench/results/instances.json (--out FILE to choose; never latest.json by
// default, which holds a full run). The full run (npm run bench) measures them too.
import { runFigures } from "./lib/entry.js";
import { instanceFigures, instancesEstimate } from "./lib/instances.js";
import { instanceTargets, printInstances } from "./lib/instances-report.js";

runFigures({
  script: "bench/instances.js",
  what: "the instance figures",
  key: "instances",
  enabled: (opts) => Boolean(opts.instances),
  estimate: instancesEstimate,
  figures: instanceFigures,
  print: printInstances,
  targets: instanceTargets,
  options: (opts) => ({ instances: opts.instances, connections: opts.connections }),
});
