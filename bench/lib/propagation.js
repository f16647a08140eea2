// Propagation figure (issue 7, bench point 2): two gateway processes A and B on one registry
// (the run's redis-server, then one SQLite file), a client subscribed to B, and per trial a new
// app registered through A. The time runs from calling registerApp on A until B's subscriber
// sees `app_registered` for that name. The subscriber is the Portico gateway client's
// `on("change")` when it has push and a probe registration reaches it, else a raw SSE reader on
// B's /events (bench/lib/sse.js); the results say which, and why.
import { randomBytes } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { gatewayClient } from "./portico.js";
import { startServer, stopChild } from "./procs.js";
import { openEvents } from "./sse.js";
import { percentile, round } from "./stats.js";

const GATEWAY = fileURLToPath(new URL("../servers/portico-gateway.js", import.meta.url));
const SEEN_MS = 5000;
const firstLine = (err) => String(err?.message ?? err).split("\n")[0];
const ms = (x) => round(x, 2);

export const SUBSCRIBERS = {
  client: "Portico gateway client, gw.on('change') (push)",
  sse: "raw SSE reader on B's /events (node:http, bench/lib/sse.js)",
};

/** Waiters for (type, name) events, resolved with the time the subscriber saw them. */
function eventWaiters() {
  const waiters = new Set();
  return {
    deliver(type, name, at) {
      for (const w of [...waiters]) if (w.type === type && w.name === name) w.done(at);
    },
    waitFor(name, type, timeoutMs) {
      return new Promise((resolve, reject) => {
        const w = { name, type };
        w.done = (at) => {
          clearTimeout(w.timer);
          waiters.delete(w);
          resolve(at);
        };
        w.timer = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`B's subscriber did not see ${type} ${name} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(w);
      });
    },
  };
}

/**
 * Try the gateway client's push on B: resolves to the client when a probe registration through
 * A reaches its on("change") within 3 s, else to { note } saying why not.
 */
async function tryClientPush(bUrl, admin, appUrl, waiters) {
  let client;
  try {
    client = await gatewayClient(bUrl);
    const name = (change) => change?.name ?? change?.app?.name;
    let first = null; // what the client reported first, for the note when the probe fails
    const has = client.onChange((c) => {
      first ??= c;
      waiters.deliver(c?.type, name(c), performance.now());
    });
    if (!has) {
      await client.close();
      return { note: "the gateway client has no on('change') (push not available in this build)" };
    }
    const probe = `probe-${randomBytes(4).toString("hex")}`;
    const seen = waiters.waitFor(probe, "app_registered", 3000);
    await admin.registerApp(probe, appUrl);
    const ok = await seen.then(
      () => true,
      () => false,
    );
    await admin.unregisterApp(probe);
    if (ok) return { client };
    await client.close();
    const got = first ? `; its first change: ${JSON.stringify(first).slice(0, 160)}` : "";
    return { note: `gw.on('change') did not report a probe registration within 3 s${got}` };
  } catch (err) {
    await client?.close().catch(() => undefined);
    return { note: `gateway client push failed: ${firstLine(err)}` };
  }
}

/** B's subscriber: { kind, note, waitFor(name, type, ms), close() }. */
async function subscribe(bUrl, admin, appUrl) {
  const waiters = eventWaiters();
  const push = await tryClientPush(bUrl, admin, appUrl, waiters);
  if (push.client) {
    return {
      kind: "client",
      note: null,
      waitFor: waiters.waitFor,
      close: () => push.client.close(),
    };
  }
  const stream = await openEvents(bUrl, {
    onEvent: (ev) => waiters.deliver(ev.event, ev.data?.name, ev.at),
    timeoutMs: 10_000,
  });
  return { kind: "sse", note: push.note, waitFor: waiters.waitFor, close: stream.close };
}

/** One trial: { seen_ms (from calling registerApp on A), reply_ms (A's reply) }. */
async function trial(admin, sub, name, appUrl) {
  const seen = sub.waitFor(name, "app_registered", SEEN_MS);
  const t0 = performance.now();
  const reply = admin.registerApp(name, appUrl).then(() => performance.now());
  // Both must settle: a failed registration must not leave `seen` rejecting unhandled.
  const [replied, at] = await Promise.all([reply, seen]);
  const gone = sub.waitFor(name, "app_unregistered", SEEN_MS);
  await admin.unregisterApp(name);
  await gone;
  return { seen_ms: at - t0, reply_ms: replied - t0 };
}

/** Percentiles of a trial series, in the results' shape. */
function summarise(samples) {
  const seen = samples.map((s) => s.seen_ms);
  const reply = samples.map((s) => s.reply_ms);
  return {
    trials: samples.length,
    p50_ms: ms(percentile(seen, 50)),
    p99_ms: ms(percentile(seen, 99)),
    max_ms: ms(Math.max(...seen)),
    min_ms: ms(Math.min(...seen)),
    register_reply_p50_ms: ms(percentile(reply, 50)),
    seen_before_reply: round(
      samples.filter((s) => s.seen_ms <= s.reply_ms).length / samples.length,
      3,
    ),
    samples_ms: seen.map(ms),
  };
}

/**
 * Two gateways on `registryUrl`, B's subscriber, `warmup` discarded trials, then `trials`
 * measured ones (a random 0-10 ms pause between trials, so that they do not keep the same
 * phase against SQLite's revision polling). Stops its processes before returning; throws on
 * failure.
 */
async function measureOne({ label, registryUrl, appUrl, trials, warmup, log }) {
  const procs = [];
  let admin;
  let sub;
  try {
    for (const side of ["A", "B"]) {
      const s = await startServer(`portico gateway ${side} (${label})`, GATEWAY, [
        "--registry",
        registryUrl,
      ]);
      procs.push(s);
    }
    admin = await gatewayClient(procs[0].url);
    sub = await subscribe(procs[1].url, admin, appUrl);
    log(`  ${label}: subscriber on B: ${SUBSCRIBERS[sub.kind]}${sub.note ? ` (${sub.note})` : ""}`);
    const tag = randomBytes(3).toString("hex");
    const samples = [];
    for (let i = 0; i < warmup + trials; i++) {
      const result = await trial(admin, sub, `prop-${tag}-${i}`, appUrl);
      if (i >= warmup) samples.push(result);
      await sleep(Math.random() * 10);
    }
    const out = summarise(samples);
    log(
      `  ${label}: ${trials} trials, A.registerApp called -> B sees app_registered: ` +
        `p50 ${out.p50_ms} ms, p99 ${out.p99_ms} ms, max ${out.max_ms} ms ` +
        `(A's reply p50 ${out.register_reply_p50_ms} ms)`,
    );
    return { subscriber: SUBSCRIBERS[sub.kind], subscriber_note: sub.note, ...out };
  } finally {
    await Promise.allSettled([sub?.close(), admin?.close()]);
    await Promise.allSettled(procs.map((p) => stopChild(p.child)));
  }
}

/**
 * Propagation over Redis (the target) and over SQLite (two processes on one file; reported
 * only). `o`: { shared, appUrl, trials, warmup, redis (false: skipped), log }. Never throws:
 * a failed backend becomes { status: "error", error }.
 */
export async function propagationFigures(o) {
  const t0 = performance.now();
  const out = { status: "ok", trials: o.trials, warmup_trials: o.warmup, app: o.appUrl };
  const run = async (label, url) => {
    try {
      return {
        status: "ok",
        registry: url,
        ...(await measureOne({ ...o, label, registryUrl: url })),
      };
    } catch (err) {
      o.log(`  ${label}: propagation failed: ${firstLine(err)}`);
      return { status: "error", registry: url, error: firstLine(err) };
    }
  };
  if (o.redis === false) {
    out.redis = { status: "skipped", note: o.redisNote };
  } else {
    let url;
    try {
      url = (await o.shared.redis()).url(1); // db 1: the portico-redis contender uses db 0
    } catch (err) {
      out.redis = { status: "skipped", note: firstLine(err) };
    }
    if (url) out.redis = await run("redis", url);
  }
  out.sqlite = await run("sqlite", o.shared.sqliteUrl("propagation"));
  if (out.redis.status === "error" && out.sqlite.status === "error") out.status = "error";
  out.elapsed_s = round((performance.now() - t0) / 1000, 1);
  return out;
}
