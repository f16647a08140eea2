/**
 * MCP servers registered as apps: the gateway's connection to one instance (an official SDK
 * client, either protocol generation), its tools as endpoint descriptors, and calls. Every request
 * goes through the gateway's upstream pool of that origin, so the address guard and timeouts
 * apply as to any app traffic; `Via` marks it, so a gateway registered with itself is refused.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import type { Tool } from "@modelcontextprotocol/client";
import { fetch as undiciFetch } from "undici";
import type { Dispatcher } from "undici";
import type { EndpointDescriptor } from "../contract/endpoint.js";
import { ENDPOINT_NAME_PATTERN } from "../contract/endpoint.js";
import { packageVersion } from "../version.js";
import type { ToolResult } from "./tool-shape.js";

/** How the gateway reaches an MCP server. */
export interface McpUpstreamOptions {
  /** The server's MCP endpoint (`http://host:port/mcp`). */
  url: string;
  /** The upstream pool of its origin (the guard's connector, the gateway's timeouts). */
  dispatcher: Dispatcher;
  /** The gateway's `Via` entry. */
  via: string;
  /** Milliseconds for one request (connect, list, call). */
  timeoutMs: number;
  /** Its tool list changed (`notifications/tools/list_changed`). */
  onToolsChanged?: () => void;
}

/** One connection to an MCP server, opened on first use and again after it broke. */
export class McpUpstream {
  private client: Promise<Client> | undefined;
  /** The transport of the open connection: a 2025 session is ended (DELETE) when closing. */
  private transport: StreamableHTTPClientTransport | undefined;
  private closed = false;

  constructor(private readonly options: McpUpstreamOptions) {}

  /** Every tool the server lists (all pages). */
  async listTools(signal?: AbortSignal): Promise<Tool[]> {
    return this.use(async (client) => {
      const tools: Tool[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.listTools(cursor === undefined ? {} : { cursor }, {
          timeout: this.options.timeoutMs,
          ...(signal ? { signal } : {}),
          cacheMode: "bypass",
        });
        tools.push(...page.tools);
        cursor = page.nextCursor;
      } while (cursor !== undefined && tools.length < 100_000);
      return tools;
    });
  }

  /** Calls a tool; the server's result as it sent it (tool errors included). */
  async callTool(
    name: string,
    args: Record<string, unknown> | undefined,
    signal?: AbortSignal,
  ): Promise<ToolResult> {
    return this.use(
      async (client) =>
        (await client.callTool(
          { name, ...(args === undefined ? {} : { arguments: args }) },
          { timeout: this.options.timeoutMs, ...(signal ? { signal } : {}) },
        )) as ToolResult,
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = undefined;
    const transport = this.transport;
    this.transport = undefined;
    const open = await client?.catch(() => undefined);
    // A 2025 server keeps a session until told: end it, or it may live as long as the server.
    if (transport?.sessionId !== undefined) {
      await transport.terminateSession().catch(() => undefined);
    }
    await open?.close().catch(() => undefined);
  }

  /** Runs `action` on the connection; a broken connection is opened again for the next call. */
  private async use<T>(action: (client: Client) => Promise<T>): Promise<T> {
    const connecting = (this.client ??= this.connect());
    try {
      return await action(await connecting);
    } catch (error) {
      if (this.client === connecting && isConnectionError(error)) this.client = undefined;
      throw error;
    }
  }

  private async connect(): Promise<Client> {
    if (this.closed) throw new Error("The MCP upstream is closed");
    const { url, dispatcher, via, onToolsChanged } = this.options;
    const client = new Client(
      { name: "portico-gateway", version: packageVersion() },
      {
        versionNegotiation: { mode: "auto", probe: { timeoutMs: this.options.timeoutMs } },
        ...(onToolsChanged
          ? {
              listChanged: {
                tools: { autoRefresh: false, onChanged: () => onToolsChanged() },
              },
            }
          : {}),
      },
    );
    const transport = new StreamableHTTPClientTransport(new URL(url), {
      requestInit: { headers: { via } },
      fetch: ((input: string | URL, init?: RequestInit) =>
        undiciFetch(input, {
          ...(init as Parameters<typeof undiciFetch>[1]),
          dispatcher,
        })) as unknown as typeof fetch,
    });
    this.transport = transport;
    await client.connect(transport, { timeout: this.options.timeoutMs });
    client.onclose = () => {
      if (this.client) this.client = undefined;
    };
    return client;
  }
}

function isConnectionError(error: unknown): boolean {
  const name = (error as { name?: string }).name ?? "";
  return name !== "McpError" && !(error as { code?: unknown }).code?.toString().startsWith("-32");
}

/**
 * The endpoints of an MCP server's tools. A tool name that is no identifier (`get-forecast`,
 * `weather.now`) gets one (`get_forecast`, `weather_now`; a digit first gets `_`), and a name taken
 * twice a `_2`...; the descriptor's `mcp.tool` keeps the server's own name for calls.
 */
export function endpointsFromTools(tools: Tool[]): Record<string, EndpointDescriptor> {
  const out: Record<string, EndpointDescriptor> = {};
  for (const tool of [...tools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    let name = identifier(tool.name);
    for (let n = 2; name in out || name === "mcp"; n++) name = `${identifier(tool.name)}_${n}`;
    const descriptor: EndpointDescriptor = {
      name,
      path: `/${name}`,
      methods: ["POST"],
      input_schema: tool.inputSchema,
      output_schema: tool.outputSchema ?? null,
      description: tool.description ?? tool.title ?? "",
      mcp: { tool: tool.name },
    };
    const hints = tool.annotations;
    if (hints) {
      const annotations: NonNullable<EndpointDescriptor["annotations"]> = {};
      const title = hints.title ?? tool.title;
      if (title !== undefined) annotations.title = title;
      if (hints.readOnlyHint !== undefined) annotations.read_only = hints.readOnlyHint;
      if (hints.destructiveHint !== undefined) annotations.destructive = hints.destructiveHint;
      if (hints.idempotentHint !== undefined) annotations.idempotent = hints.idempotentHint;
      if (hints.openWorldHint !== undefined) annotations.open_world = hints.openWorldHint;
      if (Object.keys(annotations).length > 0) descriptor.annotations = annotations;
    }
    out[name] = descriptor;
  }
  return out;
}

function identifier(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_]/g, "_").slice(0, 120);
  const id = /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
  return ENDPOINT_NAME_PATTERN.test(id) ? id : "_tool";
}
