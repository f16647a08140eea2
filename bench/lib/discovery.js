// Discovery figures (issue point 3). One 20-endpoint service (bench/servers/wide-service.js) and
// one empty gateway process per app count N; the harness registers app0000.. on each (all at the
// wide service: every gateway discovers and holds N x 20 endpoint schemas), then measures, with
// the N values interleaved: list_apps_with_schemas (raw undici, time and bytes), Gateway.connect,
// register -> first call from a client connected before, and forwarding throughput of
// /app<last>/echo with the main load settings. Every process is stopped, even on errors.
import { fileURLToPath } from "node:url";
import { request } from "undici";
import { measure } from "./load.js";
import { gatewayClient } from "./portico.js";
import { ENDPOINTS_PER_APP } from "./portico-wide.js";
import { startServer, stopChild } from "./procs.js";
import { BODY, verify } from "./setup.js";
import { round } from "./stats.js";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const WIDE = here("../servers/wide-service.js");
const GATEWAY = here("../servers/portico-gateway.js");
const appName = (i) => `app${String(i).padStart(4, "0")}`;
const ms = (t0) => performance.now() - t0;

/** Register `count` apps at `url` with `concurrency` registrations in flight; checks discovery. */
async function registerApps(admin, count, url, concurrency) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const info = await admin.registerApp(appName(next++), url);
      const found = Object.keys(info.endpoints).length;
      if (!info.discovered || found !== ENDPOINTS_PER_APP) {
        throw new Error(`${info.name}: discovered ${info.discovered}, ${found} endpoints`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** One raw list_apps_with_schemas call: { ms, bytes } (body fully read). */
async function timeList(gatewayUrl) {
  const t0 = performance.now();
  const res = await request(`${gatewayUrl}/list_apps_with_schemas`, { method: "POST" });
  const bytes = (await res.body.arrayBuffer()).byteLength;
  const elapsed = ms(t0);
  if (res.statusCode !== 200) throw new Error(`list_apps_with_schemas: ${res.statusCode}`);
  return { ms: elapsed, bytes };
}

/** Gateway.connect (it loads every app) timed until it resolves: { ms, client }. */
async function timeConnect(gatewayUrl) {
  const t0 = performance.now();
  const client = await gatewayClient(gatewayUrl);
  return { ms: ms(t0), client };
}

/** From A's registerApp resolving to B's first successful echo on the new app (B refreshes once). */
async function timeFirstCall(admin, observer, name, wideUrl) {
  await admin.registerApp(name, wideUrl);
  const t0 = performance.now();
  const out = await observer.echo(name, { message: name });
  const elapsed = ms(t0);
  if (out?.echoed !== name) throw new Error(`first call on ${name}: ${JSON.stringify(out)}`);
  await admin.unregisterApp(name);
  return elapsed;
}

/** Start the wide service and one empty gateway per app count; register the apps on each. */
async function startStack(o, procs, clients) {
  const wide = await startServer("wide service", WIDE);
  procs.push(wide.child);
  await verify(`${wide.url}/echo`);
  const names = o.counts.map((n) => `portico gateway (${n} apps)`);
  const started = await Promise.all(names.map((name) => startServer(name, GATEWAY)));
  procs.push(...started.map((s) => s.child));
  const gw = {};
  for (const [i, n] of o.counts.entries()) {
    const admin = await gatewayClient(started[i].url);
    clients.push(admin);
    const t0 = performance.now();
    await registerApps(admin, n, wide.url, o.concurrency);
    const total = ms(t0);
    const target = `${started[i].url}/${appName(n - 1)}/echo`;
    await verify(target);
    gw[n] = { url: started[i].url, admin, target, register_all_ms: round(total, 1) };
    gw[n].samples = { rps: [], list_ms: [], list_bytes: [], connect_ms: [], first_call_ms: [] };
    o.log(`  registered ${n} apps in ${total.toFixed(0)} ms (${o.concurrency} in flight)`);
  }
  return { wideUrl: wide.url, gw };
}

/**
 * Forwarding throughput of /app<last>/echo per gateway: warm-up, then rounds in ABBA order
 * (ascending app counts in odd rounds, descending in even ones) so that drift cancels out.
 */
async function throughput(o, gw, live) {
  const run = (n, duration) =>
    measure({
      ...o.load,
      url: gw[n].target,
      connections: o.connections,
      duration,
      body: BODY,
      wrkThreads: o.wrkThreads,
    });
  for (const n of o.counts) await run(n, o.warmup);
  for (let r = 1; r <= o.rounds; r++) {
    for (const n of r % 2 === 1 ? o.counts : [...o.counts].reverse()) {
      live();
      const res = await run(n, o.duration);
      if (res.errors) throw new Error(`${n} apps: ${res.errors} errors in ${res.requests}`);
      gw[n].samples.rps.push(round(res.rps, 1));
      o.log(`  round ${r}/${o.rounds} ${String(n).padStart(4)} apps  ${Math.round(res.rps)} req/s`);
    }
  }
}

/**
 * list_apps_with_schemas and Gateway.connect on every gateway, N values interleaved. Repetition 0
 * warms the code paths up on the smallest gateway and is discarded (a call on a big one takes
 * hundreds of ms: its warm-up is amortised within it). The last client connected on each
 * gateway stays open as `observer` (client B of the first-call figure).
 */
async function listAndConnect(o, gw, clients, live) {
  for (let rep = 0; rep <= o.reps; rep++) {
    for (const n of rep === 0 ? o.counts.slice(0, 1) : o.counts) {
      live();
      const list = await timeList(gw[n].url);
      const connect = await timeConnect(gw[n].url);
      if (rep < o.reps) await connect.client.close();
      else clients.push((gw[n].observer = connect.client));
      if (rep === 0) continue;
      gw[n].samples.list_ms.push(round(list.ms, 2));
      gw[n].samples.list_bytes.push(list.bytes);
      gw[n].samples.connect_ms.push(round(connect.ms, 2));
    }
  }
}

/**
 * @param {{ counts: number[], reps: number, firstCallRuns: number, rounds: number,
 *   duration: number, warmup: number, connections: number, concurrency: number,
 *   load: object, wrkThreads: number, timeoutMs: number, log: Function }} o
 * Resolves to { [n]: { url, register_all_ms, samples } }. Past `timeoutMs` every process is
 * stopped, so that whatever is in flight fails at once and nothing outlives the call.
 */
export async function measureDiscovery(o) {
  const procs = [];
  const clients = [];
  const stop = () =>
    Promise.allSettled([...clients.map((c) => c.close()), ...procs.map((c) => stopChild(c))]);
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    void stop();
  }, o.timeoutMs);
  const live = () => {
    if (expired) throw new Error(`discovery figures took longer than ${o.timeoutMs} ms`);
  };
  try {
    const { wideUrl, gw } = await startStack(o, procs, clients);
    live();
    // Throughput first, before the multi-megabyte list replies below grow this process's heap.
    await throughput(o, gw, live);
    await listAndConnect(o, gw, clients, live);
    for (const n of o.counts) {
      const { admin, observer } = gw[n];
      for (let run = n === o.counts[0] ? 0 : 1; run <= o.firstCallRuns; run++) {
        live();
        const elapsed = await timeFirstCall(admin, observer, `probe-${n}-${run}`, wideUrl);
        if (run > 0) gw[n].samples.first_call_ms.push(round(elapsed, 2));
      }
    }
    return gw;
  } catch (err) {
    live();
    throw err;
  } finally {
    clearTimeout(timer);
    await stop();
  }
}
