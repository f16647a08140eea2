/**
 * The gateway's MCP tools, asked with plain 2026-07-28 `tools/list` requests: no session, each
 * request carries the protocol envelope in `_meta` and the matching headers.
 */
import { send } from "./api";
import type { McpTool, WireError } from "./types";

const VERSION = "2026-07-28";

/** The tools, `off` when the gateway serves no MCP endpoint, or the error that stopped the list. */
export type ToolsResult =
  | { kind: "tools"; tools: McpTool[] }
  | { kind: "off" }
  | { kind: "error"; status: number; error: WireError };

/** Lists every tool of the gateway's `/mcp`, following cursors (at most 50 pages). */
export async function listTools(): Promise<ToolsResult> {
  const tools: McpTool[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 50; page++) {
    const params: Record<string, unknown> = {
      _meta: {
        "io.modelcontextprotocol/protocolVersion": VERSION,
        "io.modelcontextprotocol/clientCapabilities": {},
        "io.modelcontextprotocol/clientInfo": { name: "portico-console", version: "1" },
      },
    };
    if (cursor !== undefined) params.cursor = cursor;
    const reply = await send("/mcp", {
      method: "POST",
      headers: {
        accept: "application/json, text/event-stream",
        "mcp-protocol-version": VERSION,
        "mcp-method": "tools/list",
      },
      body: JSON.stringify({ jsonrpc: "2.0", id: page + 1, method: "tools/list", params }),
    });
    if (reply.status === 404) return { kind: "off" };
    const result = (reply.body as { result?: { tools?: McpTool[]; nextCursor?: string } })?.result;
    if (!reply.ok || !result) {
      const error = reply.error ?? rpcError(reply.body);
      return { kind: "error", status: reply.status, error };
    }
    tools.push(...(result.tools ?? []));
    cursor = result.nextCursor;
    if (cursor === undefined) break;
  }
  return { kind: "tools", tools };
}

/** Tools by app: tool names are `<app>__<endpoint>`. */
export function toolsByApp(tools: McpTool[]): Map<string, McpTool[]> {
  const out = new Map<string, McpTool[]>();
  for (const tool of tools) {
    const split = tool.name.indexOf("__");
    if (split <= 0) continue;
    const app = tool.name.slice(0, split);
    const list = out.get(app) ?? [];
    list.push(tool);
    out.set(app, list);
  }
  return out;
}

function rpcError(body: unknown): WireError {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const code = typeof error?.code === "number" ? String(error.code) : "ERROR";
  return { code: `MCP_${code}`, message: typeof error?.message === "string" ? error.message : "" };
}
