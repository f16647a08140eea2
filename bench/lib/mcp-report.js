// Printing and targets of the MCP figures (issue 9; bench/lib/mcp.js).
import { fmt, table } from "./stats.js";

const status = (f) => `${f?.status ?? "n/a"} (${f?.error ?? f?.note ?? ""})`;

/** The targets for these figures, as [id, description, value, op?, threshold?] rows. */
export function mcpTargets(mcp = {}) {
  const c = mcp.calls?.status === "ok" ? mcp.calls : null;
  const l = mcp.tools_list?.status === "ok" ? mcp.tools_list.by_app_count : null;
  const conns = c?.connections ?? 32;
  const r26 = c?.ratios.mcp_2026;
  const r25 = c?.ratios.mcp_2025;
  return [
    [
      `mcp_2026_vs_http_c${conns}`,
      `MCP tools/call (2026, stateless)/HTTP call through the gateway rps @${conns}`,
      r26?.rps_vs_http ?? null,
      ">=",
      0.6,
    ],
    [
      `mcp_2026_vs_http_paired_c${conns}`,
      "the same, median of per-round pairs (reported only)",
      r26?.rps_vs_http_paired ?? null,
    ],
    [
      `mcp_2026_vs_http_cpu_c${conns}`,
      "gateway CPU per request, MCP 2026/HTTP (reported only)",
      r26?.cpu_vs_http ?? null,
    ],
    [
      `mcp_2025_vs_http_c${conns}`,
      `MCP tools/call (2025 session)/HTTP rps @${conns} (reported only)`,
      r25?.rps_vs_http ?? null,
    ],
    [
      "mcp_tools_list_1000_apps_first_page_ms",
      "tools/list first page with 1,000 apps x 20 endpoints, median ms (reported only)",
      l?.[1000]?.first_page_ms ?? null,
    ],
    [
      "mcp_tools_list_1000_apps_all_pages_ms",
      "tools/list, every page, 1,000 apps x 20 endpoints, median ms (reported only)",
      l?.[1000]?.all_pages_ms ?? null,
    ],
  ];
}

function printCalls(c, log) {
  if (c?.status !== "ok") return log(`\nMCP tools/call vs HTTP: ${status(c)}`);
  const rows = [["variant", "req/s", "p50 ms", "p99 ms", "cpu us/req", "backend us/req"]];
  rows[0].push("x http", "pairs", "cpu x http");
  for (const [key, r] of Object.entries(c.by_variant)) {
    const q = c.ratios[key];
    rows.push([r.label, fmt(r.rps), fmt(r.p50_ms, 3), fmt(r.p99_ms, 3), fmt(r.cpu_us_per_req, 1)]);
    rows.at(-1).push(fmt(r.backend_cpu_us_per_req, 1));
    rows.at(-1).push(q ? fmt(q.rps_vs_http, 3) : "1", q ? fmt(q.rps_vs_http_paired, 3) : "");
    rows.at(-1).push(q ? fmt(q.cpu_vs_http, 3) : "1");
  }
  const skipped = c.mcp_2025?.status === "skipped" ? ` (2025 session: ${c.mcp_2025.note})` : "";
  log(
    `\nMCP tools/call ${c.tool} vs the HTTP call through the gateway @${c.connections} ` +
      `(medians)${skipped}:\n${table(rows)}`,
  );
}

function printList(l, log) {
  if (l?.status !== "ok") return log(`\nMCP tools/list: ${status(l)}`);
  const rows = [["apps", "tools", "pages", "first page ms", "bytes", "all pages ms", "bytes"]];
  rows[0].push("after change ms", "list_apps_with_schemas ms", "bytes");
  for (const r of Object.values(l.by_app_count)) {
    rows.push([String(r.apps), fmt(r.tools), fmt(r.pages), fmt(r.first_page_ms, 2)]);
    rows.at(-1).push(fmt(r.first_page_bytes), fmt(r.all_pages_ms, 1), fmt(r.all_pages_bytes));
    rows.at(-1).push(fmt(r.after_change_ms, 1), fmt(r.list_apps_with_schemas_ms, 1));
    rows.at(-1).push(fmt(r.list_apps_with_schemas_bytes));
  }
  log(
    `\nMCP tools/list (${l.protocol}, ${l.page_size} tools per page; medians; "after change": ` +
      `first page right after a registration, the list built again):\n${table(rows)}`,
  );
}

/** Both MCP figures. */
export function printMcp(mcp, log) {
  if (!mcp) return;
  printCalls(mcp.calls, log);
  printList(mcp.tools_list, log);
}
