// Load generator process used when wrk is not on the PATH: runs autocannon against one URL and
// prints one line "JSON {...}". Latencies from autocannon are whole milliseconds.
// Extra request headers (e.g. a bearer token) come from $BENCH_HEADERS, a JSON object.
// Usage: node bench/load/autocannon-worker.js '{"url","connections","duration","body"}'
import autocannon from "autocannon";

const { url, connections, duration, body } = JSON.parse(process.argv[2] ?? "{}");
if (!url || !connections || !duration) {
  process.stderr.write('usage: autocannon-worker.js \'{"url","connections","duration","body"}\'\n');
  process.exit(2);
}

const result = await autocannon({
  url,
  method: "POST",
  headers: { "content-type": "application/json", ...JSON.parse(process.env.BENCH_HEADERS || "{}") },
  body,
  connections,
  duration,
  pipelining: 1,
});

const seconds = result.duration || duration;
const out = {
  requests: result.requests.total,
  duration_s: seconds,
  rps: result.requests.total / seconds,
  p50_us: result.latency.p50 * 1000,
  p99_us: result.latency.p99 * 1000,
  mean_us: result.latency.average * 1000,
  max_us: result.latency.max * 1000,
  errors: result.errors + result.timeouts + result.non2xx,
  non2xx: result.non2xx,
};
process.stdout.write(`JSON ${JSON.stringify(out)}\n`);
