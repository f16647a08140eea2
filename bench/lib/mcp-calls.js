// MCP tools/call through the gateway against the same call as plain HTTP through the gateway
// (issue 9): one Portico EchoService backend (`bench/servers/backend.js --impl portico`) and one
// gateway that has it as app "echoer" (tool `echoer__echo`). Variants, all on that one gateway:
//   http      POST /echoer/echo with the benchmark body (the forwarded call);
//   mcp_2026  POST /mcp: the SDK 2.x client's tools/call (2026-07-28, stateless), replayed;
//   mcp_2025  POST /mcp: the SDK 1.x client's tools/call in its 2025 session (Mcp-Session-Id;
//             replies are SSE), replayed with a fresh id per request (wrk only).
// Same load script for all (bench/lib/mcp-load.js), top connection count, warm-up, then rounds in
// ABBA order; per round the gateway's and the backend's CPU time per request. Every replayed
// request is checked once before and after the rounds (a tool error is still HTTP 200, so the
// load tool alone could not tell).
import { cpuMeter } from "./cpu.js";
import { captureModern, captureSession, verifyCall } from "./mcp-envelope.js";
import { startServer } from "./procs.js";
import { BACKEND, BODY, verify } from "./setup.js";
import { median, ratio, round, roundsSummary } from "./stats.js";

/** The gateway's options (the defaults: passive health on, as users run it). */
const GATEWAY_OPTIONS = {};
const APP = "echoer";
const TOOL = `${APP}__echo`;
const ARGS = JSON.parse(BODY);

/** Start the backend and the gateway; returns { gatewayUrl, pids } (children go to `procs`). */
async function startStack(o) {
  const backend = await startServer("backend (portico, MCP figures)", BACKEND, [
    "--impl",
    "portico",
  ]);
  o.procs.push(backend.child);
  await verify(`${backend.url}/echo`);
  const gateway = await startServer("portico gateway (MCP figures)", o.gatewayScript, [
    "--backend",
    backend.url,
    "--options",
    JSON.stringify(GATEWAY_OPTIONS),
  ]);
  o.procs.push(gateway.child);
  await verify(`${gateway.url}/${APP}/echo`);
  return {
    gatewayUrl: gateway.url,
    pids: { gateway: gateway.child.pid, backend: backend.child.pid },
  };
}

/** The variants this run can measure, each { key, label, url, body, headers, check() }. */
async function variants(o, gatewayUrl, cleanups) {
  const mcpUrl = `${gatewayUrl}/mcp`;
  const modern = await captureModern(mcpUrl, TOOL, ARGS);
  const list = [
    { key: "http", label: "HTTP POST /echoer/echo", url: `${gatewayUrl}/${APP}/echo`, body: BODY },
    {
      key: "mcp_2026",
      label: `MCP tools/call ${modern.protocol}`,
      url: mcpUrl,
      body: modern.call.body,
      headers: modern.call.headers,
      check: () => verifyCall(mcpUrl, modern.call, ARGS.message),
    },
  ];
  list[0].check = () => verify(list[0].url);
  if (!o.runner.sessions)
    return { list, skipped: "the 2025 session needs wrk (an id per request)" };
  const session = await captureSession(mcpUrl, TOOL, ARGS);
  cleanups.push(session.close);
  list.push({
    key: "mcp_2025",
    label: `MCP tools/call ${session.protocol} session`,
    url: mcpUrl,
    body: session.call.body,
    headers: session.call.headers,
    check: () => verifyCall(mcpUrl, session.call, ARGS.message),
  });
  return { list, skipped: null };
}

/** One load run of a variant; metered rounds carry the CPU time per request. */
async function run(o, v, pids, duration, metered) {
  const meter = metered ? cpuMeter({ pids: [pids.gateway], backendPids: [pids.backend] }) : null;
  const res = await o.runner.run({
    url: v.url,
    body: v.body,
    headers: v.headers ?? {},
    connections: o.connections,
    duration,
  });
  if (meter) res.cpu = meter(res.requests);
  return res;
}

/** `key` against http: medians' ratio, median of per-round pairs, CPU per request ratio. */
function versusHttp(rows, rounds, key) {
  const pairs = rounds[key].map((r, i) => ratio(r.rps, rounds.http[i]?.rps));
  return {
    rps_vs_http: round(ratio(rows[key].rps, rows.http.rps), 3),
    rps_vs_http_paired: round(median(pairs), 3),
    cpu_vs_http: round(ratio(rows[key].cpu_us_per_req, rows.http.cpu_us_per_req), 3),
  };
}

function logRound(o, r, v, res) {
  const cpu = res.cpu?.proxy_us_per_req;
  o.log(
    `  round ${r}/${o.rounds} ${v.label.padEnd(36)} ` +
      (res.error
        ? `error: ${res.error}`
        : `${Math.round(res.rps)} req/s  p50 ${res.p50_ms.toFixed(3)} ms  p99 ` +
          `${res.p99_ms.toFixed(3)} ms` +
          (cpu == null ? "" : `  cpu ${cpu.toFixed(1)} us/req`) +
          (res.errors ? `  (${res.errors} errors)` : "")),
  );
}

/**
 * `o`: { gatewayScript, runner (mcpLoad), connections, warmup, rounds, duration, procs, log }.
 * Resolves to { by_variant, ratios, ... }; throws on failure (mcp.js makes it an error row).
 */
export async function mcpCallFigures(o) {
  const { gatewayUrl, pids } = await startStack(o);
  const cleanups = [];
  try {
    const { list, skipped } = await variants(o, gatewayUrl, cleanups);
    for (const v of list) await v.check();
    for (const v of list) await run(o, v, pids, o.warmup, false);
    const rounds = Object.fromEntries(list.map((v) => [v.key, []]));
    for (let r = 1; r <= o.rounds; r++) {
      for (const v of r % 2 === 1 ? list : [...list].reverse()) {
        const res = await run(o, v, pids, o.duration, true).catch((err) => ({
          error: String(err.message ?? err).split("\n")[0],
        }));
        rounds[v.key].push(res);
        logRound(o, r, v, res);
      }
    }
    for (const v of list) await v.check(); // still the right answer after the load
    const rows = {};
    for (const v of list) rows[v.key] = { label: v.label, ...roundsSummary(rounds[v.key]) };
    const ratios = {};
    for (const v of list.slice(1)) ratios[v.key] = versusHttp(rows, rounds, v.key);
    return {
      connections: o.connections,
      tool: TOOL,
      gateway_options: GATEWAY_OPTIONS,
      by_variant: rows,
      ratios,
      mcp_2025: skipped ? { status: "skipped", note: skipped } : { status: "ok" },
    };
  } finally {
    await Promise.allSettled(cleanups.map((close) => close()));
  }
}
