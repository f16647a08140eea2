// Only the metrics figure of issue 10 (bench/lib/metrics.js), with the harness's options and
// pinning: `npm run build --silent && node bench/metrics.js [--quick]`. Prints it with its
// targets and writes bench/results/metrics.json (--out FILE to choose; never latest.json by
// default, which holds a full run). The full run (npm run bench) measures it too.
import { runFigures } from "./lib/entry.js";
import {
  metricsEstimate,
  metricsFigures,
  metricsSettings,
  metricsTargets,
  printMetrics,
} from "./lib/metrics.js";

runFigures({
  script: "bench/metrics.js",
  what: "the metrics figure",
  key: "metrics",
  enabled: (opts) => opts.metrics !== null,
  estimate: metricsEstimate,
  figures: metricsFigures,
  print: printMetrics,
  targets: metricsTargets,
  options: (opts) => ({ metrics: metricsSettings(opts) }),
});
