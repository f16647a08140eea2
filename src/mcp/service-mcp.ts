/**
 * A service's endpoints as MCP tools: every endpoint callers may call (not the admin ones such
 * as `shutdown`), plus `status` and `heartbeat`, through the same pipeline as HTTP calls
 * (`createInvoke`): same validation, same handler, same output check, same error codes.
 */
import type { IncomingHttpHeaders } from "node:http";
import { toPorticoError } from "../service/http-app.js";
import type { CallerAuth, HandlerContext, RegisteredEndpoint } from "../service/endpoint.js";
import { callerAuth, describeEndpoint } from "../service/endpoint.js";
import { createInvoke } from "../service/invoke.js";
import type { Invoke, InvokeHost } from "../service/invoke.js";
import { McpEndpoint } from "./mcp-endpoint.js";
import type { McpEndpointOptions, ToolCall, ToolCatalogue } from "./mcp-endpoint.js";
import { ToolPages } from "./tool-pages.js";
import { errorResult, inputFromArguments, resultOf, toolOf } from "./tool-shape.js";
import type { ToolBinding, ToolResult } from "./tool-shape.js";
import { EndpointNotFoundError } from "../errors.js";
import type { McpOptions } from "../service/options.js";
import type { RequestCounts } from "../observe/metrics-counts.js";

/** Built-ins that are tools too (the others describe the service to Portico clients). */
const BUILTIN_TOOLS = new Set(["status", "heartbeat"]);

/** What the MCP side needs of a service. */
export interface ServiceMcpHost extends InvokeHost {
  name: string;
  version: string;
  description: string;
  endpoints(): Iterable<RegisteredEndpoint>;
  /** The request counters of an endpoint's tool calls (absent: metrics are off). */
  counts?: ((endpoint: string) => RequestCounts) | undefined;
}

/** Settings of the endpoint itself (sessions, limits, page size). */
export type McpSettings = McpOptions & Pick<McpEndpointOptions, "maxRequestBodySize" | "onError">;

/** A service's tools never change while it runs: clients may keep the list this long. */
const SERVICE_TTL_MS = 5 * 60_000;

interface ServiceTool {
  binding: ToolBinding;
  invoke: Invoke;
  counts: RequestCounts | undefined;
}

/** The MCP endpoint of a service. */
export function createServiceMcp(host: ServiceMcpHost, settings: McpSettings): McpEndpoint {
  const tools = new Map<string, ServiceTool>();
  for (const endpoint of host.endpoints()) {
    if (endpoint.access === "admin") continue;
    if (endpoint.builtin && !BUILTIN_TOOLS.has(endpoint.name)) continue;
    tools.set(endpoint.name, {
      binding: toolOf(describeEndpoint(endpoint)),
      invoke: createInvoke(endpoint, host),
      counts: host.counts?.(endpoint.name),
    });
  }
  const pages = new ToolPages(
    [...tools.values()].map((t) => t.binding.tool),
    "service",
    settings.pageSize,
  );
  const catalogue: ToolCatalogue = {
    page: (cursor) => pages.page(cursor),
    ttlMs: () => SERVICE_TTL_MS,
    call: (name, args, call) => callTool(tools.get(name), name, args, call),
  };
  return new McpEndpoint({
    ...endpointSettings(settings),
    name: host.name,
    version: host.version,
    instructions: host.description,
    catalogue,
    listChanged: false,
  });
}

async function callTool(
  tool: ServiceTool | undefined,
  name: string,
  args: Record<string, unknown> | undefined,
  call: ToolCall,
): Promise<ToolResult> {
  if (!tool) {
    return errorResult(
      new EndpointNotFoundError(`No tool named ${JSON.stringify(name).slice(0, 140)}`, {
        data: { name: name.slice(0, 128) },
      }),
    );
  }
  const started = tool.counts && performance.now();
  try {
    const input = inputFromArguments(tool.binding.input, args);
    const result = await tool.invoke(input, new McpContext(call));
    const value =
      result.kind === "empty"
        ? undefined
        : result.kind === "json"
          ? JSON.parse(result.text.text.toString())
          : result.value;
    const reply = resultOf(tool.binding.output, value);
    if (started !== undefined) tool.counts?.observe(200, (performance.now() - started) / 1000);
    return reply;
  } catch (error) {
    const mapped = toPorticoError(error);
    // Counted with the status the same failure gets over HTTP (422 for invalid arguments...).
    if (started !== undefined)
      tool.counts?.observe(mapped.status, (performance.now() - started) / 1000);
    return errorResult(mapped);
  }
}

/** The handler context of a tool call: the HTTP request's headers and the call's signal. */
class McpContext implements HandlerContext {
  readonly transport = "mcp" as const;
  constructor(private readonly call: ToolCall) {}

  get headers(): IncomingHttpHeaders {
    return this.call.req.headers;
  }

  get signal(): AbortSignal {
    return this.call.signal;
  }

  get auth(): CallerAuth {
    return callerAuth(this.call.req.headers);
  }
}

/** The endpoint's share of the settings (sessions, limits, timing). */
export function endpointSettings(
  settings: McpSettings,
): Omit<McpEndpointOptions, "name" | "version" | "catalogue" | "listChanged"> {
  const { path: _path, pageSize: _pageSize, ...rest } = settings;
  return rest;
}
