/**
 * The gateway's side of apps that are MCP servers: one connection per instance (opened when the
 * app is registered, so its own `list_changed` reaches this replica), calls balanced over the
 * routable instances like any app traffic, and plain HTTP calls of their endpoints
 * (`POST /<app>/<endpoint>`, what gateway clients send) turned into `tools/call`.
 *
 * The SDK loads with the first MCP app (src/mcp/mcp-upstream.ts), never before.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import {
  BadRequestError,
  EndpointNotFoundError,
  ToolError,
  UpstreamTimeoutError,
  UpstreamUnreachableError,
} from "../../errors.js";
import type { PorticoError } from "../../errors.js";
import type { McpUpstream } from "../../mcp/mcp-upstream.js";
import type { ToolResult } from "../../mcp/tool-shape.js";
import type { AppRecord, Change } from "../../registry/change-feed.js";
import { sendError } from "../../service/http/send-error.js";
import { readBody } from "../../service/http/read-body.js";
import { toPorticoError } from "../../service/http-app.js";
import { noHealthyInstance } from "./balancer.js";
import { isReplayable, withFailover } from "./failover.js";
import type { AppInstances } from "./balancer.js";
import type { Instance, PassiveOptions } from "./instance.js";
import type { Upstreams } from "./upstreams.js";

/** What MCP apps need of the gateway. */
export interface McpAppsOptions {
  upstreams: Upstreams;
  via: string;
  /** Milliseconds for one request to an MCP server. */
  timeoutMs: number;
  passive: PassiveOptions | undefined;
  /** An instance said its tools changed: discover the app again. */
  onToolsChanged(app: string, instanceUrl: string): void;
  /** The app's instances (undefined: gone). */
  route(name: string): AppInstances | undefined;
  /** Largest request body of an HTTP call. */
  maxBodyBytes: number;
}

interface Connection {
  upstream: Promise<McpUpstream>;
  origin: string;
}

/** Endpoint name -> the server's tool name, per MCP app. */
type ToolNames = Map<string, string>;

/** The tools (servers' names) of an MCP app that say they are idempotent or read-only. */
type Replayable = Set<string>;

export class McpApps {
  /** By `<app>\n<instance url>`. */
  private readonly connections = new Map<string, Connection>();
  private readonly tools = new Map<string, ToolNames>();
  private readonly replayable = new Map<string, Replayable>();
  private readonly paths = new Map<string, string>();
  private closed = false;

  constructor(private readonly options: McpAppsOptions) {}

  /** Whether `name` is an MCP app this replica knows. */
  has(name: string): boolean {
    return this.tools.has(name);
  }

  /** Follows the route table: connects new instances of MCP apps, drops gone ones. */
  readonly changed = (change: Change | "reset", apps: () => AppRecord[]): void => {
    if (this.closed) return;
    if (change === "reset") {
      const records = apps();
      const names = new Set(records.map((app) => app.name));
      for (const name of [...this.tools.keys()]) if (!names.has(name)) this.drop(name);
      for (const record of records) this.set(record);
    } else if (change.type === "app_unregistered") {
      this.drop(change.name);
    } else {
      this.set(change.app);
    }
  };

  /** Calls tool `tool` of app `app` on one of its routable instances. */
  async callTool(
    app: AppInstances,
    tool: string,
    args: Record<string, unknown> | undefined,
    signal?: AbortSignal,
  ): Promise<ToolResult> {
    const first = app.pick();
    if (!first) throw noHealthyInstance(app);
    return withFailover(
      app,
      first,
      (instance) => this.callOn(app, instance, tool, args, signal),
      (error, instance) => upstreamError(error, instance.url, this.options.timeoutMs),
      this.replayable.get(app.name)?.has(tool) === true,
    );
  }

  /**
   * `POST /<app>/<endpoint>` of an MCP app (the forwarder's access checks passed): the JSON body
   * is the tool's arguments; the reply is its `structuredContent`, else its one text content
   * (as JSON when it is), else its content list. A tool error is 422 TOOL_ERROR.
   */
  handleHttp(req: IncomingMessage, res: ServerResponse, app: AppInstances, path: string): void {
    const endpoint = path.replace(/^\//, "").replace(/[?#].*$/, "");
    const tool = this.tools.get(app.name)?.get(endpoint);
    if (!tool || endpoint.includes("/")) {
      sendError(
        res,
        new EndpointNotFoundError(`App "${app.name}" has no tool endpoint ${path.slice(0, 200)}`, {
          data: { name: app.name, path: path.slice(0, 200) },
        }),
      );
      return;
    }
    if (req.method !== "POST") {
      res.setHeader("allow", "POST");
      sendError(res, new BadRequestError(`Tools of MCP apps are called with POST`));
      return;
    }
    const controller = new AbortController();
    res.once("close", () => {
      if (!res.writableFinished) controller.abort();
    });
    void readJson(req, this.options.maxBodyBytes)
      .then((args) => this.callTool(app, tool, args, controller.signal))
      .then((result) => {
        if (result.isError) throw toolError(app.name, tool, result);
        const body = JSON.stringify(valueOf(result));
        res.writeHead(200, { "content-type": "application/json; charset=utf-8" }).end(body);
      })
      .catch((error: unknown) => {
        if (!res.headersSent) sendError(res, toPorticoError(error));
      });
  }

  async close(): Promise<void> {
    this.closed = true;
    const all = [...this.connections.values()];
    this.connections.clear();
    this.tools.clear();
    this.replayable.clear();
    await Promise.allSettled(all.map((c) => this.closeConnection(c)));
  }

  private async callOn(
    app: AppInstances,
    instance: Instance,
    tool: string,
    args: Record<string, unknown> | undefined,
    signal: AbortSignal | undefined,
  ): Promise<ToolResult> {
    instance.inFlight++;
    try {
      const upstream = await this.connection(app.name, instance.url).upstream;
      // Its `_meta` (server identity, its own trace ids) is about the hop to it, not to the caller.
      const { _meta: _hop, ...result } = await upstream.callTool(tool, args, signal);
      instance.passed();
      return result;
    } catch (error) {
      // A JSON-RPC error is the server's answer (bad arguments, unknown tool): it is up.
      if (isRpcError(error)) {
        instance.passed();
        throw refused(app.name, tool, error);
      }
      if (!signal?.aborted) instance.failed(this.options.passive, (error as Error).message);
      throw error;
    } finally {
      instance.inFlight--;
    }
  }

  private set(record: AppRecord): void {
    if (record.kind !== "mcp") {
      if (this.tools.has(record.name)) this.drop(record.name);
      return;
    }
    const names: ToolNames = new Map();
    const replayable: Replayable = new Set();
    for (const endpoint of Object.values(record.endpoints)) {
      if (!endpoint.mcp) continue;
      names.set(endpoint.name, endpoint.mcp.tool);
      if (isReplayable(endpoint)) replayable.add(endpoint.mcp.tool);
    }
    this.tools.set(record.name, names);
    this.replayable.set(record.name, replayable);
    this.paths.set(record.name, record.mcp ?? "");
    const urls = new Set((record.instances ?? [{ url: record.url }]).map((i) => i.url));
    for (const [key, connection] of [...this.connections]) {
      const [app, url] = key.split("\n") as [string, string];
      if (app === record.name && !urls.has(url)) {
        this.connections.delete(key);
        void this.closeConnection(connection);
      }
    }
    // Connected now, not on the first call: its list_changed must reach this replica.
    for (const url of urls) void this.connection(record.name, url).upstream.catch(() => undefined);
  }

  private drop(name: string): void {
    this.tools.delete(name);
    this.replayable.delete(name);
    this.paths.delete(name);
    for (const [key, connection] of [...this.connections]) {
      if (key.startsWith(`${name}\n`)) {
        this.connections.delete(key);
        void this.closeConnection(connection);
      }
    }
  }

  private connection(app: string, url: string): Connection {
    const key = `${app}\n${url}`;
    let connection = this.connections.get(key);
    if (connection) return connection;
    const endpoint = `${url.replace(/\/+$/, "")}${this.paths.get(app) ?? ""}` || url;
    const origin = new URL(endpoint).origin;
    const dispatcher = this.options.upstreams.acquire(origin);
    connection = {
      origin,
      upstream: import("../../mcp/mcp-upstream.js").then(({ McpUpstream }) => {
        const upstream = new McpUpstream({
          url: endpoint,
          dispatcher,
          via: this.options.via,
          timeoutMs: this.options.timeoutMs,
          onToolsChanged: () => this.options.onToolsChanged(app, url),
        });
        // Opens the connection (and the stream its list_changed comes on).
        void upstream.listTools().catch(() => undefined);
        return upstream;
      }),
    };
    this.connections.set(key, connection);
    return connection;
  }

  private async closeConnection(connection: Connection): Promise<void> {
    try {
      await (await connection.upstream).close();
    } catch {
      // it never opened
    } finally {
      this.options.upstreams.release(connection.origin);
    }
  }
}

/** An error the server answered with (JSON-RPC's numeric code), not a failed exchange. */
function isRpcError(error: unknown): error is Error & { code: number; data?: unknown } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "number";
}

/** The server refused the call (invalid params, unknown tool): a tool error, not an outage. */
function refused(app: string, tool: string, error: Error & { code: number }): ToolError {
  return new ToolError(
    `Tool ${tool} of app "${app}" refused the call: ${error.message.slice(0, 500)}`,
    {
      cause: error,
      data: { name: app, tool, rpc_code: error.code },
    },
  );
}

/** What a successful tool call stands for as a plain JSON reply. */
function valueOf(result: ToolResult): unknown {
  if (result.structuredContent !== undefined) return result.structuredContent;
  const content = result.content ?? [];
  if (content.length === 1 && content[0]?.type === "text") {
    const text = content[0].text;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return { content };
}

function toolError(app: string, tool: string, result: ToolResult): ToolError {
  const text = (result.content ?? [])
    .filter((c) => c.type === "text")
    .map((c) => c.text)
    .join("\n");
  return new ToolError(`Tool ${tool} of app "${app}" failed: ${text.slice(0, 500)}`, {
    data: { name: app, tool, content: result.content ?? [] },
  });
}

async function readJson(
  req: IncomingMessage,
  max: number,
): Promise<Record<string, unknown> | undefined> {
  const text = await readBody(req, max);
  if (text.trim() === "") return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    throw new BadRequestError("Request body is not valid JSON", { cause });
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new BadRequestError("A tool's arguments are a JSON object");
  }
  return value as Record<string, unknown>;
}

function upstreamError(error: unknown, url: string, timeout: number): PorticoError {
  if (error instanceof ToolError) return error;
  if (error instanceof Error && "code" in error && typeof error.code === "string") {
    const mapped = toPorticoError(error);
    if (mapped.code !== "INTERNAL_ERROR") return mapped;
  }
  const message = (error as Error)?.message ?? String(error);
  if (/timed? ?out|timeout/i.test(message)) {
    return new UpstreamTimeoutError(`MCP app at ${url} did not answer within ${timeout} ms`, {
      cause: error,
      data: { url, timeout },
    });
  }
  return new UpstreamUnreachableError(`MCP app at ${url} failed: ${message.slice(0, 300)}`, {
    cause: error,
    data: { url },
  });
}
