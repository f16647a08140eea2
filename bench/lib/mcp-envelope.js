// The MCP requests the load generator replays, captured from real SDK clients at the start of the
// figure (so the load tracks what the SDKs send, and the load generator measures the server, not
// a client SDK): the SDK 2.x client (@modelcontextprotocol/client, protocol 2026-07-28, one
// stateless request per call with the `_meta` envelope and the Mcp-Method/Mcp-Name headers) and
// the SDK 1.x client (@modelcontextprotocol/sdk, a 2025 session: initialize, then every request
// carries Mcp-Session-Id). Each capture calls the tool once through the SDK and checks its answer.
// A captured request becomes a template: its headers (those the load tool may send) and its body
// with the JSON-RPC id replaced by the placeholder __ID__ (a number: bench/lib/mcp-load.js gives
// each request its own, as a 2025 session requires).
import { request } from "undici";

/** Where the load tool puts each request's JSON-RPC id. */
export const ID_PLACEHOLDER = "__ID__";

/** Headers the transport sets itself (or that a replay must not copy). */
const DROP = new Set(["content-length", "host", "connection", "keep-alive", "transfer-encoding"]);

/** Request headers as a plain object with lower-case names (a Headers, pairs or an object). */
function plainHeaders(headers = {}) {
  const entries =
    typeof headers.entries === "function" && !Array.isArray(headers)
      ? [...headers.entries()]
      : Array.isArray(headers)
        ? headers
        : Object.entries(headers);
  return Object.fromEntries(entries.map(([name, value]) => [name.toLowerCase(), String(value)]));
}

/** A fetch that records every request it sends (method, headers, body) in `log`. */
function recordingFetch(log) {
  return async (url, init = {}) => {
    const headers = plainHeaders(init.headers);
    log.push({ method: init.method ?? "GET", url: String(url), headers, body: init.body });
    return fetch(url, init);
  };
}

/** The recorded request whose JSON-RPC method is `method` (the last one). */
function recorded(log, method) {
  const found = log.filter((r) => typeof r.body === "string" && r.body.includes(`"${method}"`));
  const hit = found.reverse().find((r) => JSON.parse(r.body).method === method);
  if (!hit) throw new Error(`the SDK client sent no ${method} request`);
  return hit;
}

/** A replayable template of a recorded request: { headers, body (with __ID__), json }. */
function template(rec) {
  const headers = {};
  for (const [name, value] of Object.entries(rec.headers)) {
    if (!DROP.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
  }
  const json = JSON.parse(rec.body);
  const body = JSON.stringify({ ...json, id: ID_PLACEHOLDER }).replace(
    `"${ID_PLACEHOLDER}"`,
    ID_PLACEHOLDER,
  );
  return { headers, body, json };
}

function checkEcho(result, message, who) {
  const echoed = result?.structuredContent?.echoed;
  if (result?.isError || echoed !== message) {
    throw new Error(`${who}: tools/call answered ${JSON.stringify(result).slice(0, 300)}`);
  }
}

/**
 * SDK 2.x (2026-07-28) against `mcpUrl`: calls `tool` with `args` and lists the tools once.
 * Resolves to { call, list } templates (the client is closed: nothing of it stays open).
 */
export async function captureModern(mcpUrl, tool, args) {
  const { Client, StreamableHTTPClientTransport } = await import("@modelcontextprotocol/client");
  const log = [];
  const client = new Client(
    { name: "portico-bench", version: "1" },
    { versionNegotiation: { mode: "auto" } },
  );
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), {
    fetch: recordingFetch(log),
  });
  await client.connect(transport);
  try {
    await client.listTools();
    checkEcho(await client.callTool({ name: tool, arguments: args }), args.message, "SDK 2.x");
  } finally {
    await client.close();
  }
  const call = template(recorded(log, "tools/call"));
  const version = call.headers["mcp-protocol-version"];
  if (!version?.startsWith("2026")) {
    throw new Error(`SDK 2.x did not speak the 2026 revision (mcp-protocol-version ${version})`);
  }
  return { call, list: template(recorded(log, "tools/list")), protocol: version };
}

/**
 * SDK 1.x (2025 session) against `mcpUrl`: initializes, calls `tool` once. Resolves to { call
 * (template with the session's Mcp-Session-Id), protocol, close() } — the session stays open
 * (with the SDK's GET stream) until close(), which ends it (DELETE).
 */
export async function captureSession(mcpUrl, tool, args) {
  const { Client } = await import("@modelcontextprotocol/sdk/client/index.js");
  const { StreamableHTTPClientTransport } =
    await import("@modelcontextprotocol/sdk/client/streamableHttp.js");
  const log = [];
  const client = new Client({ name: "portico-bench", version: "1" });
  const transport = new StreamableHTTPClientTransport(new URL(mcpUrl), {
    fetch: recordingFetch(log),
  });
  await client.connect(transport);
  try {
    checkEcho(await client.callTool({ name: tool, arguments: args }), args.message, "SDK 1.x");
    const call = template(recorded(log, "tools/call"));
    if (!call.headers["mcp-session-id"]) throw new Error("SDK 1.x: no Mcp-Session-Id sent");
    return { call, protocol: call.headers["mcp-protocol-version"], close: () => client.close() };
  } catch (err) {
    await client.close().catch(() => undefined);
    throw err;
  }
}

/** The body of a template with a concrete id and, optionally, params replaced. */
export function bodyOf(tpl, id, params) {
  const json = { ...tpl.json, id };
  if (params) json.params = { ...tpl.json.params, ...params };
  return JSON.stringify(json);
}

/** The JSON-RPC message of a reply, JSON or SSE (the `data:` line that has a result or error). */
export function rpcMessage(text, contentType = "") {
  if (!contentType.includes("text/event-stream")) return JSON.parse(text);
  for (const line of text.split("\n")) {
    if (!line.startsWith("data:")) continue;
    const data = line.slice(5).trim();
    if (!data) continue;
    const msg = JSON.parse(data);
    if ("result" in msg || "error" in msg) return msg;
  }
  throw new Error(`no JSON-RPC reply in the SSE stream: ${text.slice(0, 200)}`);
}

/**
 * One raw POST of a template (undici, as the load tool would send it): { status, ms, bytes,
 * message } with the body fully read.
 */
export async function post(url, tpl, id, params) {
  const t0 = performance.now();
  const res = await request(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...tpl.headers },
    body: bodyOf(tpl, id, params),
  });
  const buf = Buffer.from(await res.body.arrayBuffer());
  const ms = performance.now() - t0;
  const type = String(res.headers["content-type"] ?? "");
  if (res.statusCode !== 200) {
    throw new Error(`${tpl.json.method}: HTTP ${res.statusCode} ${buf.toString().slice(0, 200)}`);
  }
  return {
    status: res.statusCode,
    ms,
    bytes: buf.length,
    message: rpcMessage(buf.toString(), type),
  };
}

/** Replays a tools/call template once and checks the echo (what every load round sends). */
export async function verifyCall(url, tpl, message) {
  const { message: msg } = await post(url, tpl, 1);
  if (msg.error) throw new Error(`tools/call: JSON-RPC error ${JSON.stringify(msg.error)}`);
  checkEcho(msg.result, message, `replayed ${tpl.headers["mcp-protocol-version"]} tools/call`);
}
