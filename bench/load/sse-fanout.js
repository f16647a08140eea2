// Fan-out load process: opens `subscribers` raw SSE readers on a gateway's /events (one socket
// each, `concurrency` connecting at a time), waits until every one has its `ready`, then per
// repetition registers a new app at `app` with POST /register_app and records, for every
// reader, when its `app_registered` for that name arrived; then unregisters it and waits until
// every reader saw `app_unregistered`. One clock (this process) for the trigger and arrivals.
// Prints one line "JSON {...}": per repetition the percentiles over the subscribers.
// Usage: node bench/load/sse-fanout.js '{"gateway","app","subscribers","reps","warmup"}'
import { setTimeout as sleep } from "node:timers/promises";
import { openEvents } from "../lib/sse.js";
import { percentile, round } from "../lib/stats.js";

const spec = JSON.parse(process.argv[2] ?? "{}");
const { gateway, app, subscribers, reps, warmup = 1, concurrency = 50 } = spec;
if (!gateway || !app || !(subscribers > 0) || !(reps > 0)) {
  process.stderr.write('usage: sse-fanout.js \'{"gateway","app","subscribers","reps"}\'\n');
  process.exit(2);
}
const EACH_MS = 15_000;

/** What every reader is waiting for now, and when each saw it. */
let expected = null;

// The data stays text (no JSON.parse per reader): one process reads all 1,000 sockets, and its
// own work should delay the arrivals it records as little as possible.
function onEvent(index, ev) {
  const e = expected;
  if (!e || ev.event !== e.type || e.at[index] >= 0 || !ev.data.includes(e.needle)) return;
  e.at[index] = ev.at;
  if (++e.count === subscribers) e.done();
}

async function openAll() {
  const streams = new Array(subscribers);
  let next = 0;
  const worker = async () => {
    while (next < subscribers) {
      const i = next++;
      streams[i] = await openEvents(gateway, {
        onEvent: (ev) => onEvent(i, ev),
        timeoutMs: 30_000,
        parse: false,
      });
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, subscribers) }, worker));
  return streams;
}

async function post(path, body) {
  const res = await fetch(`${gateway}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${text.slice(0, 200)}`);
}

/** Send `action` and resolve to { t0, replyAt, at (arrival per reader) } once all saw `type`. */
async function broadcast(name, type, action) {
  const at = new Float64Array(subscribers).fill(-1);
  let timer;
  const all = new Promise((resolve, reject) => {
    const needle = `"name":${JSON.stringify(name)}`;
    expected = { name, needle, type, at, count: 0, done: resolve };
    timer = setTimeout(() => {
      const missing = subscribers - expected.count;
      reject(
        new Error(
          `${missing} of ${subscribers} readers had no ${type} ${name} after ${EACH_MS} ms`,
        ),
      );
    }, EACH_MS);
  });
  const t0 = performance.now();
  try {
    await action();
    const replyAt = performance.now();
    await all;
    return { t0, replyAt, at };
  } finally {
    clearTimeout(timer);
    expected = null;
  }
}

const t0 = performance.now();
const streams = await openAll();
const connectMs = performance.now() - t0;
const results = [];
const pooled = [];
for (let rep = 0; rep < warmup + reps; rep++) {
  const name = `fan-${process.pid}-${rep}`;
  const reg = await broadcast(name, "app_registered", () =>
    post("/register_app", { name, url: app }),
  );
  await broadcast(name, "app_unregistered", () => post("/unregister_app", { name }));
  if (rep < warmup) continue;
  const lat = Array.from(reg.at, (x) => x - reg.t0);
  pooled.push(...lat);
  const first = Math.min(...lat);
  const last = Math.max(...lat);
  results.push({
    p50_ms: round(percentile(lat, 50), 2),
    p99_ms: round(percentile(lat, 99), 2),
    max_ms: round(last, 2),
    min_ms: round(first, 2),
    // From the first reader having it to the last: the fan-out itself, without the registration.
    spread_ms: round(last - first, 2),
    register_reply_ms: round(reg.replyAt - reg.t0, 2),
  });
  await sleep(50);
}
for (const s of streams) s.close();
const out = {
  subscribers,
  connect_all_ms: round(connectMs, 1),
  reps: results,
  pooled: {
    samples: pooled.length,
    p50_ms: round(percentile(pooled, 50), 2),
    p99_ms: round(percentile(pooled, 99), 2),
    max_ms: round(Math.max(...pooled), 2),
  },
};
process.stdout.write(`JSON ${JSON.stringify(out)}\n`);
process.exit(0);
