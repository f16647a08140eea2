// Sequential client process: one call at a time, each timed with process.hrtime.bigint().
// Used for 1-connection latency when wrk is missing (mode "pool") and for the per-call client
// figures (modes "undici-request", "fetch", "portico"). Prints one line "JSON {...}".
// Extra request headers (e.g. a bearer token) come from $BENCH_HEADERS, a JSON object.
// Usage: node bench/load/sequential.js '{"mode","url","body","warmup","calls"?,"duration"?}'
import { Client, request } from "undici";
import { typedEchoClient } from "../lib/portico.js";

const opts = JSON.parse(process.argv[2] ?? "{}");
const { mode, url, body } = opts;
const headers = {
  "content-type": "application/json",
  ...JSON.parse(process.env.BENCH_HEADERS || "{}"),
};

async function makeCaller() {
  if (mode === "pool") {
    const { origin, pathname } = new URL(url);
    const client = new Client(origin, { pipelining: 1 });
    const call = async () => {
      const res = await client.request({ method: "POST", path: pathname, headers, body });
      const text = await res.body.text();
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}: ${text}`);
    };
    return { call, close: () => client.close() };
  }
  if (mode === "undici-request") {
    const call = async () => {
      const res = await request(url, { method: "POST", headers, body });
      const json = await res.body.json();
      if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`);
      return json;
    };
    return { call, close: async () => {} };
  }
  if (mode === "fetch") {
    const call = async () => {
      const res = await fetch(url, { method: "POST", headers, body });
      const json = await res.json();
      if (!res.ok) throw new Error(`status ${res.status}`);
      return json;
    };
    return { call, close: async () => {} };
  }
  if (mode === "portico") {
    const client = await typedEchoClient(new URL(url).origin);
    const parsed = JSON.parse(body);
    return { call: () => client.call(parsed), close: () => client.close() };
  }
  throw new Error(`unknown mode ${mode}`);
}

function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

try {
  const { call, close } = await makeCaller();
  for (let i = 0; i < (opts.warmup ?? 0); i++) await call();
  const samples = [];
  const maxCalls = opts.calls ?? Infinity;
  const started = process.hrtime.bigint();
  const stopAt = opts.duration ? started + BigInt(Math.round(opts.duration * 1e9)) : null;
  let errors = 0;
  while (samples.length < maxCalls) {
    const t0 = process.hrtime.bigint();
    if (stopAt !== null && t0 >= stopAt) break;
    try {
      await call();
    } catch (err) {
      if (++errors === 1) process.stderr.write(`first error: ${err.message ?? err}\n`);
    }
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await close();
  const sorted = samples.sort((a, b) => a - b);
  const mean = sorted.reduce((s, v) => s + v, 0) / (sorted.length || 1);
  const out = {
    requests: sorted.length,
    duration_s: seconds,
    rps: sorted.length / seconds,
    p50_us: percentile(sorted, 50),
    p99_us: percentile(sorted, 99),
    mean_us: mean,
    max_us: sorted.at(-1) ?? null,
    errors,
    non2xx: 0,
  };
  process.stdout.write(`JSON ${JSON.stringify(out)}\n`);
} catch (err) {
  process.stderr.write(`${err.message ?? err}\n`);
  process.exit(1);
}
