// Load for the MCP figures: every variant (plain HTTP, MCP 2026, MCP 2025 session) is sent by
// the same wrk script, so the load generator does the same work per request whichever is
// measured: bench/load/wrk-post.lua (headers, the result line) plus a `request()` function that
// builds each request from the body template, putting a fresh JSON-RPC id where the template has
// __ID__ (a 2025 session must never see an id twice: each run gets its own id range; the HTTP body
// has no placeholder and is sent as is). The combined script is written to the run's temporary
// folder. Without wrk: autocannon through bench/lib/load.js for the stateless variants (one body
// for every request); the session variant is then not measured.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { headersEnv, measure, parseJsonLine, toResult, WRK_SCRIPT } from "./load.js";
import { ID_PLACEHOLDER } from "./mcp-envelope.js";
import { runCommand } from "./procs.js";

/** Appended to wrk-post.lua: with `request` defined, wrk builds every request through it. */
const PER_REQUEST_IDS = `
-- Added by bench/lib/mcp-load.js: the body template with a fresh JSON-RPC id per request.
local template = wrk.body
local head, tail = string.match(template, "^(.-)${ID_PLACEHOLDER}(.*)$")
local base = tonumber(os.getenv("BENCH_ID_BASE") or "0")
local threads = 0
counter = 0

setup = function(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

request = function()
  counter = counter + 1
  if head == nil then return wrk.format(nil, nil, nil, template) end
  local id = string.format("%.0f", base + (tid or 0) * 1e8 + counter)
  return wrk.format(nil, nil, nil, head .. id .. tail)
end
`;

/** `headers` less Content-Type: wrk-post.lua sets it, and the 2025 transport refuses two (415). */
function withoutContentType(headers = {}) {
  return Object.fromEntries(
    Object.entries(headers).filter(([name]) => name.toLowerCase() !== "content-type"),
  );
}

/**
 * A load runner for the MCP figures: `run({ url, body, headers, connections, duration })`
 * resolves to { rps, p50_ms, p99_ms, requests, errors, non2xx }. `sessions`: whether it can
 * give each request its own id (wrk only).
 */
export function mcpLoad(load, tempDir, wrkThreads = 1) {
  if (load.tool !== "wrk") {
    return {
      sessions: false,
      run: (o) => measure({ ...load, ...o, headers: withoutContentType(o.headers), wrkThreads }),
    };
  }
  const script = join(tempDir, "mcp-post.lua");
  writeFileSync(script, readFileSync(WRK_SCRIPT, "utf8") + PER_REQUEST_IDS);
  let runs = 0;
  return {
    sessions: true,
    async run(o) {
      runs++;
      const threads = String(Math.min(wrkThreads, o.connections, 10));
      const args = ["-t", threads, "-c", String(o.connections), "-d", `${o.duration}s`];
      args.push("--timeout", "5s", "-s", script, o.url);
      const env = {
        ...process.env,
        ...headersEnv(withoutContentType(o.headers)),
        BENCH_BODY: o.body,
        // 1e9 ids per run (10 threads x 1e8), never reused within this process's runs.
        BENCH_ID_BASE: String(runs * 1e9),
      };
      const res = await runCommand("wrk", args, { timeoutMs: (o.duration + 20) * 1000, env });
      return toResult(parseJsonLine("wrk", res));
    },
  };
}
