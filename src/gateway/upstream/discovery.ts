/**
 * Discovery: what an app is and which endpoints it has. A Portico app answers
 * `detailed_endpoints` (and `server_id`, kept to notice restarts); another may publish an OpenAPI
 * 3.0/3.1 document (at the URL given at registration, else `<app>/openapi.json`) from which its
 * endpoints are derived; anything else is plain HTTP. Every request goes through the upstream
 * pools (so the SSRF guard and timeouts apply, for a document at another origin too), under one
 * deadline, with a cap on each reply's size.
 */
import type { Dispatcher, Pool } from "undici";
import type { EndpointDescriptor } from "../../contract/endpoint.js";
import { BUILTIN_WIRE_NAMES } from "../../client/create-client.js";
import {
  DiscoveryTooLargeError,
  LoopDetectedError,
  OpenApiInvalidError,
  PorticoError,
  UpstreamNotAllowedError,
  UpstreamTimeoutError,
  UpstreamUnreachableError,
} from "../../errors.js";
import { gatewayTasks } from "../tasks.js";
import type { AppKind } from "../tasks.js";
import { claimsOpenApi, endpointsFromOpenApi } from "./openapi.js";
import type { Upstreams } from "./upstreams.js";

/** What discovery found: the kind of app, its endpoints, or why there are none. */
export interface Discovery {
  /** Undefined when the app published none (or they were refused: see `error`). */
  endpoints: Record<string, EndpointDescriptor> | undefined;
  /** `portico` (answered detailed_endpoints), `openapi` (endpoints derived) or `http`. */
  kind: AppKind;
  /** A Portico app's `server_id`: a different one later means it restarted. */
  serverId?: string;
  /** Set when the app answered but its description was refused (too large, invalid OpenAPI). */
  error?: PorticoError;
  /** MCP apps: the MCP endpoint's path under the app's URL (`""`: the URL itself). */
  mcpPath?: string;
}

/** Options of one discovery. */
export interface DiscoverOptions {
  /** Milliseconds for the whole discovery, every request included. */
  timeout: number;
  /** Largest reply read (and bound on what an OpenAPI document may derive). */
  maxBytes: number;
  /** This gateway's `Via` entry: a gateway that finds itself gets 508 and the registration fails. */
  via: string;
  /**
   * URL of the app's OpenAPI document, absolute or relative to the app's URL (given at
   * registration). Without it `<app>/openapi.json` is tried, and finding nothing there is no error.
   */
  openapi?: string;
  /** The app is an MCP server (`kind: "mcp"` at registration): ask nothing else. */
  mcp?: boolean;
  /** Where a known MCP app's endpoint is (rediscovery): skips the probe of other paths. */
  mcpPath?: string;
}

const endpointsSchema =
  gatewayTasks.list_apps_with_schemas.output.shape.apps.element.shape.endpoints;

/** What one discovery's requests share. */
interface Context {
  upstreams: Upstreams;
  options: DiscoverOptions;
  signal: AbortSignal;
  deadline: number;
}

/** One reply: its status, and its body unless it was not read (not 2xx) or too large. */
interface Fetched {
  status: number;
  text?: string;
  tooLarge?: boolean;
  type: string;
}

/**
 * Finds out what the app at `url` (normalised) is and fetches or derives its endpoints (built-ins
 * left out). Unreachable, slow or undescribed apps give `kind: "http"` with no endpoints; a loop
 * or a refused address (the app's or its document's) throws, failing the registration.
 */
export async function discover(
  upstreams: Upstreams,
  url: string,
  options: DiscoverOptions,
): Promise<Discovery> {
  const base = new URL(url);
  // Held for the whole discovery: its requests share one pool (and its warm connection).
  upstreams.acquire(base.origin);
  // A timer cleared on completion rather than AbortSignal.timeout, which keeps every signal
  // alive until its deadline: a thousand registrations left that much garbage behind.
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), options.timeout);
  const ctx: Context = {
    upstreams,
    options,
    signal: controller.signal,
    deadline: Date.now() + options.timeout,
  };
  try {
    if (options.mcp || options.mcpPath !== undefined) {
      const found = await askMcp(ctx, base, options.mcpPath);
      if (found) return found;
      // Registered as an MCP server but not answering: kept as plain HTTP with its MCP path, so
      // that it is discovered there once it is up (a passing health check asks again).
      const mcpPath = options.mcpPath ?? defaultMcpPath(base);
      return { ...plainHttp(notMcp(base, mcpPath, ctx)), mcpPath };
    }
    try {
      const portico = await askPortico(ctx, base);
      if (portico) return portico;
    } catch (error) {
      rethrowRefusal(error);
      // Down or slow: no point probing it again, but a document named elsewhere may answer.
      if (options.openapi === undefined) return plainHttp();
    }
    const openapi = await askOpenApi(ctx, base);
    if (openapi.kind !== "http" || openapi.error || options.openapi !== undefined) return openapi;
    return (await askMcp(ctx, base, undefined)) ?? openapi;
  } finally {
    clearTimeout(timer);
    upstreams.release(base.origin);
  }
}

/** The app's `detailed_endpoints` (and `server_id`); undefined when it is no Portico app. */
async function askPortico(ctx: Context, base: URL): Promise<Discovery | undefined> {
  const target = under(base, "/detailed_endpoints");
  const reply = await fetchCapped(ctx, target, "POST", target.pathname);
  if (reply.status !== 200) return undefined;
  if (reply.tooLarge) {
    const error = tooLarge(target, "The detailed_endpoints reply", ctx);
    return { kind: "portico", endpoints: undefined, error };
  }
  const body = parseJson(reply.text) as { endpoints?: unknown } | undefined;
  const endpoints = ownEndpoints(body?.endpoints);
  if (!endpoints) return undefined;
  const serverId = await askServerId(ctx, base);
  return serverId === undefined
    ? { kind: "portico", endpoints }
    : { kind: "portico", endpoints, serverId };
}

/** The app's `server_id`, or undefined when it will not say (discovery still succeeds). */
async function askServerId(ctx: Context, base: URL): Promise<string | undefined> {
  try {
    const target = under(base, "/server_id");
    const reply = await fetchCapped(ctx, target, "POST", target.pathname, 64 * 1024);
    const body = parseJson(reply.text) as { server_id?: unknown } | undefined;
    return reply.status === 200 && typeof body?.server_id === "string" ? body.server_id : undefined;
  } catch (error) {
    rethrowRefusal(error);
    return undefined;
  }
}

/**
 * Endpoints derived from the app's OpenAPI document. A document named at registration must be
 * there and valid (else OPENAPI_INVALID); the `/openapi.json` probe only counts when it answers
 * with JSON: a 404, an HTML page or unrelated JSON there just means a plain HTTP app.
 */
async function askOpenApi(ctx: Context, base: URL): Promise<Discovery> {
  const named = ctx.options.openapi;
  let target: URL;
  try {
    target = named === undefined ? under(base, "/openapi.json") : documentUrl(base, named);
  } catch (error) {
    return plainHttp(error as PorticoError);
  }
  // Quiet when probing: only a document someone pointed at is expected to be there.
  const missing = (what: string, cause?: unknown): Discovery =>
    plainHttp(named === undefined ? undefined : invalid(target, what, cause));
  let reply: Fetched;
  try {
    reply = await fetchCapped(ctx, target, "GET", `${target.pathname}${target.search}`);
  } catch (error) {
    rethrowRefusal(error);
    if (ctx.signal.aborted) {
      return missing(`was not fetched within discoveryTimeout (${ctx.options.timeout} ms)`);
    }
    return missing(`could not be fetched: ${(error as Error).message}`, error);
  }
  if (reply.status < 200 || reply.status >= 300) return missing(`answered ${reply.status}`);
  if (reply.tooLarge) return plainHttp(tooLarge(target, "The OpenAPI document", ctx));
  const doc = parseJson(reply.text);
  if (named === undefined && !claimsOpenApi(doc)) {
    // Only a reply that says it is JSON and is not counts as a broken document here.
    const broken = doc === undefined && reply.type.includes("json");
    return plainHttp(broken ? invalid(target, "is not JSON") : undefined);
  }
  if (doc === undefined) return plainHttp(invalid(target, "is not JSON"));
  try {
    const endpoints = await endpointsFromOpenApi(doc, {
      url: target.href,
      maxNodes: Math.max(10_000, Math.floor(ctx.options.maxBytes / 8)),
      timeoutMs: Math.max(1, ctx.deadline - Date.now()),
    });
    return { kind: "openapi", endpoints };
  } catch (error) {
    if (error instanceof PorticoError) return plainHttp(error);
    throw error;
  }
}

/**
 * An MCP server's tools, when the app is one: its URL itself when that has a path (the usual
 * `http://host/mcp`), else `<url>/mcp`. A plain JSON-RPC `initialize` tells first (the SDK loads
 * only for an app that answers it); the SDK client then speaks whichever revision the server does.
 */
async function askMcp(
  ctx: Context,
  base: URL,
  known: string | undefined,
): Promise<Discovery | undefined> {
  const mcpPath = known ?? defaultMcpPath(base);
  const target = mcpPath === "" ? base : under(base, mcpPath);
  try {
    if (known === undefined && !(await answersJsonRpc(ctx, target))) return undefined;
    const { McpUpstream, endpointsFromTools } = await import("../../mcp/mcp-upstream.js");
    const upstream = new McpUpstream({
      url: target.href,
      dispatcher: ctx.upstreams.acquire(target.origin),
      via: ctx.options.via,
      timeoutMs: Math.max(1, ctx.deadline - Date.now()),
    });
    try {
      const tools = await upstream.listTools(ctx.signal);
      return { kind: "mcp", endpoints: endpointsFromTools(tools), mcpPath };
    } finally {
      await upstream.close();
      ctx.upstreams.release(target.origin);
    }
  } catch (error) {
    rethrowRefusal(error);
    return undefined;
  }
}

/** Whether `target` answers a JSON-RPC `initialize` (2025) or rejects it the JSON-RPC way (2026). */
async function answersJsonRpc(ctx: Context, target: URL): Promise<boolean> {
  const pool: Pool = ctx.upstreams.acquire(target.origin);
  try {
    const res = await pool.request({
      method: "POST",
      path: `${target.pathname}${target.search}`,
      headers: {
        via: ctx.options.via,
        accept: "application/json, text/event-stream",
        "content-type": "application/json",
      },
      body: JSON.stringify({
        jsonrpc: "2.0",
        id: 0,
        method: "initialize",
        params: {
          protocolVersion: "2025-06-18",
          capabilities: {},
          clientInfo: { name: "portico-gateway-probe", version: "1" },
        },
      }),
      signal: ctx.signal,
    });
    const text = await readCapped(res.body, Number(res.headers["content-length"]), 64 * 1024);
    const session = res.headers["mcp-session-id"];
    if (typeof session === "string") await endSession(ctx, pool, target, session);
    return text !== undefined && /"jsonrpc"\s*:\s*"2\.0"/.test(text);
  } catch (error) {
    rethrowRefusal(error);
    return false;
  } finally {
    ctx.upstreams.release(target.origin);
  }
}

/** Ends the 2025 session the probe opened (the SDK client opens its own); failures are no matter. */
async function endSession(ctx: Context, pool: Pool, target: URL, session: string): Promise<void> {
  try {
    const res = await pool.request({
      method: "DELETE",
      path: `${target.pathname}${target.search}`,
      headers: { via: ctx.options.via, "mcp-session-id": session },
      signal: ctx.signal,
    });
    await res.body.dump();
  } catch {
    // the server keeps it until it expires it
  }
}

/** Where an MCP server's endpoint is: the URL itself when it has a path, else `<url>/mcp`. */
function defaultMcpPath(base: URL): string {
  return base.pathname === "/" || base.pathname === "" ? "/mcp" : "";
}

/** Why an app registered as an MCP server has no tools. */
function notMcp(base: URL, mcpPath: string, ctx: Context): PorticoError {
  const url = mcpPath === "" ? base.href : under(base, mcpPath).href;
  return ctx.signal.aborted
    ? new UpstreamTimeoutError(
        `The MCP server at ${url} did not list its tools within discoveryTimeout (${ctx.options.timeout} ms)`,
        { data: { url } },
      )
    : new UpstreamUnreachableError(
        `No MCP server answered at ${url} (it is discovered once it is up)`,
        { data: { url } },
      );
}

/** A plain HTTP app: no endpoints, perhaps with the reason its description was refused. */
function plainHttp(error?: PorticoError): Discovery {
  return error
    ? { kind: "http", endpoints: undefined, error }
    : { kind: "http", endpoints: undefined };
}

/** `path` under the app's base URL (`http://h/base` + `/openapi.json`). */
function under(base: URL, path: string): URL {
  return new URL(`${base.href.replace(/\/+$/, "")}${path}`);
}

/** The document's URL: absolute, or relative to the app's URL (`docs/json`, `/openapi.yaml`). */
function documentUrl(base: URL, named: string): URL {
  let target: URL;
  try {
    target = new URL(named, `${base.href.replace(/\/+$/, "")}/`);
  } catch (error) {
    throw invalid(base, `URL ${JSON.stringify(named)} is not a URL`, error);
  }
  if (target.protocol !== "http:" && target.protocol !== "https:") {
    throw invalid(target, "must be fetched over http or https");
  }
  if (target.username || target.password) throw invalid(base, "URL must not carry credentials");
  target.hash = "";
  return target;
}

function tooLarge(url: URL, what: string, ctx: Context): DiscoveryTooLargeError {
  const { maxBytes } = ctx.options;
  return new DiscoveryTooLargeError(
    `${what} at ${url.href} is over discoveryMaxBytes (${maxBytes} bytes)`,
    { data: { url: url.href, maxBytes } },
  );
}

/**
 * One request to `target`'s origin through the upstream pools, under the discovery's deadline.
 * Bodies of 2xx and 508 replies are read (up to `max` bytes, maxBytes by default); others are
 * discarded unread. A 508 LOOP_DETECTED throws.
 */
async function fetchCapped(
  ctx: Context,
  target: URL,
  method: "GET" | "POST",
  path: string,
  max = ctx.options.maxBytes,
): Promise<Fetched> {
  const pool: Pool = ctx.upstreams.acquire(target.origin);
  try {
    const res = await pool.request({
      method,
      path,
      headers: { via: ctx.options.via, accept: "application/json" },
      signal: ctx.signal,
    });
    const type = String(res.headers["content-type"] ?? "");
    const status = res.statusCode;
    if ((status < 200 || status >= 300) && status !== 508) {
      await res.body.dump();
      return { status, type };
    }
    const text = await readCapped(res.body, Number(res.headers["content-length"]), max);
    if (text === undefined) return { status, type, tooLarge: true };
    const body = status === 508 ? (parseJson(text) as { error?: { code?: unknown } }) : undefined;
    if (body?.error?.code === "LOOP_DETECTED") {
      throw new LoopDetectedError(`App at ${target.href} leads back to this gateway`, {
        data: { url: target.href },
      });
    }
    return { status, type, text };
  } finally {
    ctx.upstreams.release(target.origin);
  }
}

/** A loop or a refused address fails the registration; other failures only mean "not found". */
function rethrowRefusal(error: unknown): void {
  if (error instanceof LoopDetectedError || error instanceof UpstreamNotAllowedError) throw error;
}

function invalid(url: URL, what: string, cause?: unknown): OpenApiInvalidError {
  return new OpenApiInvalidError(`The OpenAPI document at ${url.href} ${what}`, {
    data: { url: url.href },
    ...(cause === undefined ? {} : { cause }),
  });
}

/** The body as text, or undefined (and the stream destroyed) once it exceeds `max` bytes. */
async function readCapped(
  body: Dispatcher.ResponseData["body"],
  declared: number,
  max: number,
): Promise<string | undefined> {
  if (declared > max) {
    discard(body);
    return undefined;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      discard(body);
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** Drops a body unread: its connection closes (undici then emits an abort error nobody needs). */
function discard(body: Dispatcher.ResponseData["body"]): void {
  body.once("error", () => undefined);
  body.destroy();
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function ownEndpoints(endpoints: unknown): Record<string, EndpointDescriptor> | undefined {
  if (!endpoints || typeof endpoints !== "object") return undefined;
  const own = Object.entries(endpoints).filter(([name]) => !BUILTIN_WIRE_NAMES.has(name));
  const parsed = endpointsSchema.safeParse(Object.fromEntries(own));
  return parsed.success ? parsed.data : undefined;
}
