// Minimal proxy contender: node:http server + one undici Pool to the backend, buffering the
// request and response bodies. It is what Node can do with nothing else on the path.
// Routes /echoer/<path> to <backend>/<path>; anything else is 404.
// Usage: node bench/servers/undici-proxy.js --backend http://127.0.0.1:PORT [--port 0]
import http from "node:http";
import { Pool } from "undici";
import { flags, main, onShutdown, ready, required } from "./common.js";

const args = flags(["backend", "port"]);
const backend = required(args, "backend");
const PREFIX = "/echoer";
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "upgrade",
  "proxy-connection",
  "te",
  "trailer",
  "host",
  "content-length",
]);

const pool = new Pool(backend, { connections: 128, pipelining: 1 });

function forwardHeaders(raw) {
  const out = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
  }
  return out;
}

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

async function handle(req, res) {
  if (req.url !== PREFIX && !req.url.startsWith(`${PREFIX}/`)) {
    res.writeHead(404, { "content-type": "application/json" }).end('{"error":"unknown app"}');
    return;
  }
  const body = await readBody(req);
  const upstream = await pool.request({
    method: req.method,
    path: req.url.slice(PREFIX.length) || "/",
    headers: forwardHeaders(req.headers),
    body: body.length > 0 ? body : undefined,
  });
  const payload = Buffer.from(await upstream.body.arrayBuffer());
  const headers = forwardHeaders(upstream.headers);
  headers["content-length"] = payload.length;
  res.writeHead(upstream.statusCode, headers).end(payload);
}

main("undici-proxy", async () => {
  const server = http.createServer((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: String(err.message ?? err) }));
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(Number(args.port ?? 0), "127.0.0.1", resolve);
  });
  onShutdown(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await pool.close();
  });
  ready(`http://127.0.0.1:${server.address().port}`);
});
