/**
 * The gateway as one MCP server: the tools of every registered app, named `<app>__<endpoint>`,
 * built from the route table once per change (never per session or per request), listed in one
 * deterministic order with cursors, and called through the same upstream path as HTTP calls.
 * Every change of the registry's feed that changes a tool (from this replica or another one)
 * becomes one debounced `notifications/tools/list_changed` to every connected client.
 */
import type { EndpointDescriptor } from "../contract/endpoint.js";
import { jsonSchemaValidator } from "../client/json-schema-validator.js";
import { toHttpRequest } from "../client/http-endpoint.js";
import { parseInput } from "../contract/validator.js";
import type { Validator } from "../contract/validator.js";
import { AppNotRegisteredError, EndpointNotFoundError, errorFromWire } from "../errors.js";
import type { AppCall, AppReply } from "../gateway/forward/app-call.js";
import type { AppInstances } from "../gateway/upstream/balancer.js";
import type { AppRecord } from "../registry/registry.js";
import type { Change } from "../registry/change-feed.js";
import { toPorticoError } from "../service/http-app.js";
import { McpEndpoint } from "./mcp-endpoint.js";
import type { ToolCall, ToolCatalogue } from "./mcp-endpoint.js";
import { endpointSettings } from "./service-mcp.js";
import type { McpSettings } from "./service-mcp.js";
import { ToolPages } from "./tool-pages.js";
import { gatewayToolName } from "./tool-names.js";
import {
  errorResult,
  errorResultOfText,
  inputFromArguments,
  resultOfText,
  toolOf,
} from "./tool-shape.js";
import type { ToolBinding, ToolResult } from "./tool-shape.js";
import { isReplayable } from "../gateway/upstream/failover.js";

/** What the gateway's MCP side needs of the gateway. */
export interface GatewayMcpHost {
  name: string;
  version: string;
  description: string;
  /** Every app as registered now. */
  apps(): AppRecord[];
  /** Calls `listener` with every change applied to the route table (`reset`: all may differ). */
  onChange(listener: (change: Change | "reset") => void): () => void;
  /** The app's instances, for calls (undefined: not registered here). */
  route(name: string): AppInstances | undefined;
  callApp(app: AppInstances, call: AppCall): Promise<AppReply>;
  /** Calls a tool of an MCP app (its result passed on as the server gave it). */
  callTool(
    app: AppInstances,
    tool: string,
    args: Record<string, unknown> | undefined,
    call: ToolCall,
  ): Promise<ToolResult>;
  /** Endpoint names only the admin may call: never tools. */
  adminEndpoints: ReadonlySet<string>;
  /** Built-in endpoint names of Portico services (status, detailed_endpoints...): not tools. */
  builtinEndpoints: ReadonlySet<string>;
}

/** One tool of the gateway: which app and endpoint it calls, and how. */
interface GatewayTool {
  app: string;
  endpoint: EndpointDescriptor;
  binding: ToolBinding;
  /** Input check of an endpoint the gateway turns into a plain HTTP request (OpenAPI apps). */
  validator: Validator | undefined;
}

/** An app's tools, kept until its endpoints change. */
interface AppTools {
  /** The endpoints as JSON: the same text means the same tools. */
  key: string;
  app: AppRecord;
  tools: GatewayTool[] | undefined;
}

/** Cache hints: never below a second, never above five minutes. */
const MIN_TTL_MS = 1_000;
const MAX_TTL_MS = 5 * 60_000;
/** Before the registry has changed twice while watched: one minute. */
const FIRST_TTL_MS = 60_000;

/** The gateway's tool catalogue, kept in step with its route table. */
export class GatewayCatalogue implements ToolCatalogue {
  private readonly apps = new Map<string, AppTools>();
  private byName = new Map<string, GatewayTool>();
  private pages: ToolPages | undefined;
  /** Bumped on every change of the tool set: part of every cursor. */
  private generation = 0;
  private readonly changedAt: number[] = [];
  private readonly unsubscribe: () => void;

  constructor(
    private readonly host: GatewayMcpHost,
    private readonly pageSize: number | undefined,
    private readonly onToolsChanged: () => void,
  ) {
    this.load();
    this.unsubscribe = host.onChange((change) => this.changed(change));
  }

  page(cursor: string | undefined) {
    return this.build().page(cursor);
  }

  /**
   * Half the mean time between the last changes of the tool set, within [1 s, 5 min]: a list
   * that changed a second ago is likely to change again soon. Clients that listen are told of
   * every change anyway; the hint is for those that do not.
   */
  ttlMs(): number {
    const times = this.changedAt;
    if (times.length < 2) return FIRST_TTL_MS;
    const meanGap = (times[times.length - 1]! - times[0]!) / (times.length - 1);
    return Math.round(Math.min(MAX_TTL_MS, Math.max(MIN_TTL_MS, meanGap / 2)));
  }

  /** Tools now (builds the list when it changed). */
  get size(): number {
    return this.build().count;
  }

  async call(
    name: string,
    args: Record<string, unknown> | undefined,
    call: ToolCall,
  ): Promise<ToolResult> {
    this.build();
    const tool = this.byName.get(name);
    if (!tool) {
      return errorResult(
        new EndpointNotFoundError(`No tool named ${JSON.stringify(name).slice(0, 140)}`, {
          data: { name: name.slice(0, 128) },
        }),
      );
    }
    try {
      const route = this.host.route(tool.app);
      if (!route) {
        throw new AppNotRegisteredError(`App "${tool.app}" is not registered`, {
          data: { name: tool.app },
        });
      }
      if (tool.endpoint.mcp)
        return await this.host.callTool(route, tool.endpoint.mcp.tool, args, call);
      const request = this.request(tool, inputFromArguments(tool.binding.input, args));
      const reply = await this.host.callApp(route, {
        ...request,
        // Safe to repeat after a broken connection: the method or the endpoint says so.
        replayable: isReplayable(tool.endpoint, request.method),
        req: call.req,
        caller: call.caller,
      });
      if (reply.status >= 200 && reply.status < 300) {
        return resultOfText(tool.binding.output, reply.status === 204 ? "" : reply.text);
      }
      return errorReply(reply, `${tool.app}.${tool.endpoint.name}`);
    } catch (error) {
      return errorResult(toPorticoError(error));
    }
  }

  close(): void {
    this.unsubscribe();
  }

  /** The HTTP request of a call: Portico endpoints take the input as the body. */
  private request(tool: GatewayTool, input: unknown): Omit<AppCall, "req" | "caller"> {
    const { endpoint } = tool;
    if (endpoint.http) {
      const label = `${tool.app}.${endpoint.name}`;
      const checked = tool.validator ? parseInput(tool.validator, input, label) : input;
      const request = toHttpRequest(endpoint.http, checked, label);
      return {
        method: request.method,
        path: request.path,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
      };
    }
    const post = endpoint.methods.includes("POST") || endpoint.methods.length === 0;
    return post
      ? { method: "POST", path: endpoint.path, body: JSON.stringify(input ?? {}) }
      : { method: endpoint.methods[0]!, path: endpoint.path, body: undefined };
  }

  private load(): void {
    for (const app of this.host.apps()) this.apps.set(app.name, appTools(app));
  }

  private changed(change: Change | "reset"): void {
    let changed = false;
    if (change === "reset") {
      const before = this.apps.size;
      const keys = new Map([...this.apps].map(([name, tools]) => [name, tools.key]));
      this.apps.clear();
      this.load();
      changed =
        before !== this.apps.size ||
        [...this.apps].some(([name, tools]) => keys.get(name) !== tools.key);
    } else if (change.type === "app_unregistered") {
      changed = this.apps.delete(change.name);
    } else {
      const next = appTools(change.app);
      changed = this.apps.get(change.name)?.key !== next.key;
      // Keep the record anyway (instances changed); its tools only when its endpoints did.
      const previous = this.apps.get(change.name);
      if (!changed && previous) previous.app = change.app;
      else this.apps.set(change.name, next);
    }
    if (!changed) return;
    this.pages = undefined;
    this.generation++;
    this.changedAt.push(Date.now());
    if (this.changedAt.length > 8) this.changedAt.shift();
    this.onToolsChanged();
  }

  /** The list and the name index, rebuilt only after the tool set changed. */
  private build(): ToolPages {
    if (this.pages) return this.pages;
    const names = [...this.apps.keys()].sort(compare);
    const tools: GatewayTool[] = [];
    const byName = new Map<string, GatewayTool>();
    for (const name of names) {
      const entry = this.apps.get(name)!;
      entry.tools ??= this.toolsOf(entry.app);
      for (const tool of entry.tools) {
        const toolName = gatewayToolName(tool.app, tool.endpoint.name, byName);
        if (toolName !== tool.binding.tool.name) {
          tool.binding = { ...tool.binding, tool: { ...tool.binding.tool, name: toolName } };
        }
        byName.set(toolName, tool);
        tools.push(tool);
      }
    }
    this.byName = byName;
    this.pages = new ToolPages(
      tools.map((t) => t.binding.tool),
      `gateway-${this.generation}`,
      this.pageSize,
    );
    return this.pages;
  }

  private toolsOf(app: AppRecord): GatewayTool[] {
    const portico = app.kind === undefined || app.kind === "portico";
    return Object.values(app.endpoints)
      .filter(
        (endpoint) =>
          endpoint.access !== "admin" &&
          !this.host.adminEndpoints.has(endpoint.name.toLowerCase()) &&
          !(portico && this.host.builtinEndpoints.has(endpoint.name)),
      )
      .sort((a, b) => compare(a.name, b.name))
      .map((endpoint) => ({
        app: app.name,
        endpoint,
        binding: toolOf(endpoint, `${app.name}__${endpoint.name}`),
        validator:
          endpoint.http && endpoint.input_schema
            ? jsonSchemaValidator(endpoint.input_schema)
            : undefined,
      }));
  }
}

/** The MCP endpoint of a gateway. */
export function createGatewayMcp(
  host: GatewayMcpHost,
  settings: McpSettings,
): McpEndpoint & { catalogue: GatewayCatalogue } {
  const notify = { toolsChanged: (): void => undefined };
  const catalogue = new GatewayCatalogue(host, settings.pageSize, () => notify.toolsChanged());
  const endpoint = new McpEndpoint({
    ...endpointSettings(settings),
    name: host.name,
    version: host.version,
    instructions: host.description,
    catalogue,
    listChanged: true,
  });
  notify.toolsChanged = () => endpoint.toolsChanged();
  const close = endpoint.close.bind(endpoint);
  return Object.assign(endpoint, {
    catalogue,
    close: async () => {
      catalogue.close();
      await close();
    },
  });
}

function appTools(app: AppRecord): AppTools {
  return { key: `${app.kind ?? ""}\n${JSON.stringify(app.endpoints)}`, app, tools: undefined };
}

/** Code-point order: the same on every replica and in every locale. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A non-2xx reply as a tool error: the app's own error body when it sent ours. */
function errorReply(reply: AppReply, label: string): ToolResult {
  let body: unknown = reply.text;
  try {
    body = JSON.parse(reply.text);
  } catch {
    // not JSON: the text itself
  }
  const wire = (body as { error?: { code?: unknown } } | undefined)?.error;
  if (wire && typeof wire.code === "string") return errorResultOfText(reply.text);
  return errorResult(errorFromWire(reply.status, body, label));
}
