// tools/list through the gateway with many apps (issue 9): the 20-endpoint wide service
// (bench/servers/wide-service.js, as the discovery figures) registered under N app names on one
// empty gateway per N (default 1, 100, 1,000: 20 to 20,000 tools, 500 per page), 16
// registrations in flight. Requests are the SDK 2.x client's tools/list (2026-07-28), captured
// once and replayed with undici from this process (time until the body is read). Per N, N values
// interleaved, repetition 0 (on the smallest N) discarded:
//   first page   tools/list, the list already built (what a client pays per request): the
//                median of 5 requests per repetition, after 2 untimed ones;
//   all pages    tools/list then every nextCursor to the end, sequentially (a client that wants
//                every tool), with the bytes of all pages and the tool count (checked: N x 20);
//   after change the first page right after a registration (a probe app, unregistered after):
//                the gateway builds the list again on the first request after a change.
// Also list_apps_with_schemas (the Portico view of the same apps) for scale, after the rest.
// Each gateway's turn starts after a short pause: they all share the pinned CPU, and the one
// before may still be collecting the garbage of a multi-megabyte reply.
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { request } from "undici";
import { bodyOf, captureModern, post } from "./mcp-envelope.js";
import { registerOver } from "./portico.js";
import { ENDPOINTS_PER_APP } from "./portico-wide.js";
import { startServer } from "./procs.js";
import { verify } from "./setup.js";
import { median, round } from "./stats.js";

/** First-page requests per repetition (their median is the sample). */
const FIRST_PAGE_RUNS = 5;
/** Pause before each gateway's turn, so that the previous one's work is over. */
const SETTLE_MS = 150;
const WIDE = fileURLToPath(new URL("../servers/wide-service.js", import.meta.url));
const appName = (i) => `app${String(i).padStart(4, "0")}`;

async function registerApps(gatewayUrl, count, wideUrl, concurrency) {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const info = await registerOver(gatewayUrl, appName(next++), wideUrl);
      const found = Object.keys(info.endpoints ?? {}).length;
      if (!info.discovered || found !== ENDPOINTS_PER_APP) {
        throw new Error(`${info.name}: discovered ${info.discovered}, ${found} endpoints`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

/** Start the wide service and one gateway per app count, register the apps on each. */
async function startStack(o) {
  const wide = await startServer("wide service (MCP figures)", WIDE);
  o.procs.push(wide.child);
  await verify(`${wide.url}/echo`);
  const started = await Promise.all(
    o.appCounts.map((n) => startServer(`portico gateway (MCP, ${n} apps)`, o.gatewayScript)),
  );
  o.procs.push(...started.map((s) => s.child));
  const gw = {};
  for (const [i, n] of o.appCounts.entries()) {
    const t0 = performance.now();
    await registerApps(started[i].url, n, wide.url, 16);
    o.log(`  registered ${n} apps in ${(performance.now() - t0).toFixed(0)} ms`);
    gw[n] = { url: started[i].url, samples: emptySamples() };
  }
  return { wideUrl: wide.url, gw };
}

function emptySamples() {
  const keys = ["first_page_ms", "all_pages_ms", "after_change_ms", "apps_list_ms"];
  return Object.fromEntries(keys.map((k) => [k, []]));
}

/**
 * Every page of tools/list, sequentially: { ms, bytes, pages, tools }. The cursor is taken from
 * the raw text, so the time is the server's and the transfer's, not this process parsing
 * megabytes of JSON; every page is parsed and counted afterwards.
 */
async function allPages(mcpUrl, tpl) {
  const texts = [];
  let cursor;
  let bytes = 0;
  const t0 = performance.now();
  do {
    const params = cursor === undefined ? undefined : { cursor };
    const res = await postRaw(mcpUrl, bodyOf(tpl, texts.length + 1, params), tpl.headers);
    texts.push(res.text);
    bytes += res.bytes;
    cursor = /"nextCursor":"([^"]+)"/.exec(res.text)?.[1];
  } while (cursor !== undefined && texts.length < 10_000);
  const ms = performance.now() - t0;
  let tools = 0;
  for (const text of texts) {
    const msg = JSON.parse(text);
    if (msg.error) throw new Error(`tools/list: ${JSON.stringify(msg.error)}`);
    tools += msg.result.tools.length;
  }
  return { ms, bytes, pages: texts.length, tools };
}

/** One POST, body read as text (JSON replies only: 2026 tools/list). */
async function postRaw(url, body, headers) {
  const res = await request(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  const buf = Buffer.from(await res.body.arrayBuffer());
  const type = String(res.headers["content-type"] ?? "");
  if (res.statusCode !== 200 || !type.includes("application/json")) {
    throw new Error(`tools/list: HTTP ${res.statusCode} ${type} ${buf.toString().slice(0, 200)}`);
  }
  return { text: buf.toString(), bytes: buf.length };
}

async function appsList(url) {
  const t0 = performance.now();
  const res = await request(`${url}/list_apps_with_schemas`, { method: "POST" });
  const bytes = (await res.body.arrayBuffer()).byteLength;
  if (res.statusCode !== 200) throw new Error(`list_apps_with_schemas: ${res.statusCode}`);
  return { ms: performance.now() - t0, bytes };
}

/** The median of `times` first-page requests: { ms, bytes, message } of the median one. */
async function firstPage(mcpUrl, tpl, times) {
  // The first requests after the pause are slower whatever they ask (the processes wake up on
  // a CPU that was idle): two untimed ones first.
  for (let i = 0; i < 2; i++) await post(mcpUrl, tpl, i + 1);
  const runs = [];
  for (let i = 0; i < times; i++) runs.push(await post(mcpUrl, tpl, i + 3));
  runs.sort((a, b) => a.ms - b.ms);
  return runs[runs.length >> 1];
}

/** One repetition on one gateway (samples kept unless `discard`). */
async function repetition(o, g, n, tpl, rep, discard) {
  const mcpUrl = `${g.url}/mcp`;
  // The previous gateway may still be collecting the garbage of its last list (same CPU).
  await sleep(SETTLE_MS);
  const first = await firstPage(mcpUrl, tpl, FIRST_PAGE_RUNS);
  const all = await allPages(mcpUrl, tpl);
  if (all.tools !== n * ENDPOINTS_PER_APP) {
    throw new Error(`${n} apps: tools/list gave ${all.tools} tools, not ${n * ENDPOINTS_PER_APP}`);
  }
  const probe = `mcpprobe${rep}`;
  await registerOver(g.url, probe, o.wideUrl);
  const changed = await post(mcpUrl, tpl, 1);
  const expected = Math.min(o.pageSize, (n + 1) * ENDPOINTS_PER_APP);
  // Proof that the list was built again: its size (small N), or its cursor (a new generation).
  const before = first.message.result.nextCursor;
  const after = changed.message.result?.nextCursor;
  if (changed.message.result?.tools?.length !== expected || (before && before === after)) {
    throw new Error(`${n} apps: tools/list did not change after a registration`);
  }
  await unregister(g.url, probe);
  await post(mcpUrl, tpl, 1); // the list without the probe, built outside the timing
  if (discard) return;
  const s = g.samples;
  s.first_page_ms.push(round(first.ms, 3));
  s.all_pages_ms.push(round(all.ms, 2));
  s.after_change_ms.push(round(changed.ms, 2));
  Object.assign(g, {
    tools: all.tools,
    pages: all.pages,
    first_page_bytes: first.bytes,
    all_pages_bytes: all.bytes,
  });
}

/** list_apps_with_schemas on every gateway, after the tools/list samples (its replies are big). */
async function appsLists(o, gw) {
  for (let rep = 0; rep <= o.reps; rep++) {
    for (const n of rep % 2 === 1 ? o.appCounts : [...o.appCounts].reverse()) {
      await sleep(SETTLE_MS);
      const apps = await appsList(gw[n].url);
      if (rep === 0) continue;
      gw[n].samples.apps_list_ms.push(round(apps.ms, 2));
      gw[n].apps_list_bytes = apps.bytes;
    }
  }
}

async function unregister(gatewayUrl, name) {
  const res = await fetch(`${gatewayUrl}/unregister_app`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name }),
  });
  if (!res.ok) throw new Error(`unregister_app ${name}: ${res.status} ${await res.text()}`);
}

/**
 * `o`: { gatewayScript, appCounts, reps, procs, log }. Resolves to { by_app_count: { [n]:
 * { tools, pages, first_page_ms, first_page_bytes, all_pages_ms, all_pages_bytes,
 * after_change_ms, list_apps_with_schemas_ms|_bytes, samples } } }; throws on failure.
 */
export async function mcpListFigures(o) {
  const { wideUrl, gw } = await startStack(o);
  const smallest = o.appCounts[0];
  const { list: tpl } = await captureModern(`${gw[smallest].url}/mcp`, "app0000__echo", {
    message: "hello world from the benchmark",
  });
  const ctx = { ...o, wideUrl, pageSize: 500 };
  for (let rep = 0; rep <= o.reps; rep++) {
    const counts =
      rep === 0 ? [smallest] : rep % 2 === 1 ? o.appCounts : [...o.appCounts].reverse();
    for (const n of counts) await repetition(ctx, gw[n], n, tpl, rep, rep === 0);
  }
  await appsLists(o, gw);
  const byCount = {};
  for (const n of o.appCounts) {
    const { samples, ...sizes } = gw[n];
    delete sizes.url;
    byCount[n] = {
      apps: n,
      ...sizes,
      first_page_ms: round(median(samples.first_page_ms), 3),
      all_pages_ms: round(median(samples.all_pages_ms), 2),
      after_change_ms: round(median(samples.after_change_ms), 2),
      list_apps_with_schemas_ms: round(median(samples.apps_list_ms), 2),
      list_apps_with_schemas_bytes: sizes.apps_list_bytes,
      samples,
    };
    delete byCount[n].apps_list_bytes;
  }
  return { page_size: 500, protocol: tpl.headers["mcp-protocol-version"], by_app_count: byCount };
}
