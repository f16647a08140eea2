/**
 * Turns a service's endpoints into a fastify app: JSON body parsing, input validation (422),
 * output checking, and one error format `{ error: { code, message, data } }` for everything.
 */
import { STATUS_CODES, createServer } from "node:http";
import type { Duplex } from "node:stream";
import type { Socket } from "node:net";
import type { IncomingHttpHeaders, IncomingMessage, Server, ServerResponse } from "node:http";
import Fastify, { LogController } from "fastify";
import type { Logger } from "pino";
import type {
  FastifyBaseLogger,
  FastifyBodyParser,
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
} from "fastify";
import { FORWARDED_METHODS, HTTP_METHODS } from "../contract/endpoint.js";
import { clipText } from "../net/url.js";
import type { AccessAction } from "../security/options.js";
import type { AccessPolicy } from "../security/policy.js";
import { drainBody, errorHeaders, sendError } from "./http/send-error.js";
import { readBody } from "./http/read-body.js";
import { registerDocs } from "./http/docs-route.js";
import type { DocsHost } from "./http/docs-route.js";
import {
  BadRequestError,
  ERROR_CODES,
  EndpointNotFoundError,
  HeadersTooLargeError,
  InternalError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  PorticoError,
  RequestTooSlowError,
  ServiceStoppingError,
  UnsupportedMediaTypeError,
} from "../errors.js";
import { callerAuth } from "./endpoint.js";
import type { CallerAuth, HandlerContext, RegisteredEndpoint } from "./endpoint.js";
import { createInvoke } from "./invoke.js";
import { logRequests } from "../observe/log-requests.js";
import { REQUEST_ID_HEADER, requestIdOf } from "../observe/request-id.js";
import type { Tracing } from "../observe/trace-otel.js";
import type { ServerMetrics } from "../observe/metrics.js";
import { countReplies } from "../observe/metrics-hook.js";
import type { InvokeResult } from "./invoke.js";

/** What the app builder needs from a service. */
export interface AppHost {
  endpoints(): Iterable<RegisteredEndpoint>;
  isStopping(): boolean;
  openApi(): unknown;
  /** The API reference at `/docs` (absent: `docs: false`). */
  docs?: DocsHost;
  /** `GET /` leads to the reference (plain services; a gateway serves its own index). */
  rootToDocs?: boolean;
  /** Handles a request before fastify routing; returns true when it did (gateway forwarding). */
  handleRaw(req: IncomingMessage, res: ServerResponse): boolean;
  /** The pino logger (undefined: none). */
  logger: Logger | undefined;
  /** OpenTelemetry spans of endpoint calls, when a tracer is registered. */
  tracing: Tracing;
  bodyLimit: number;
  policy: AccessPolicy;
  /** Milliseconds a client may take to send a whole request, and its headers. */
  requestTimeout: number;
  headersTimeout: number;
  /** The MCP endpoint, when served: its path and the endpoint (loaded on the first request). */
  mcp?: McpRoute;
  /** Request counters per endpoint (absent: metrics are off). */
  metrics?: Pick<ServerMetrics, "endpoint">;
}

/** The MCP route of a service: the SDK loads on its first request, never before. */
export interface McpRoute {
  path: string;
  endpoint(): Promise<McpHandler>;
  /** Ends its streams and sessions (the app is closing). */
  close(): Promise<void>;
}

/** What serves MCP requests (src/mcp/mcp-endpoint.ts). */
export interface McpHandler {
  handle(req: IncomingMessage, res: ServerResponse, body: unknown): Promise<void>;
}

/** The access action of a route, kept in its fastify config. */
interface RouteAccess {
  access?: AccessAction;
}

// Declared on fastify's route config, so a route may carry it whatever else augments that config
// (a plugin such as @fastify/swagger declares its own keys there, which makes ours excess).
declare module "fastify" {
  interface FastifyContextConfig {
    /** Who may call the route: the access policy's action ("call" when absent). */
    access?: AccessAction;
  }
}

const ANSWERED_METHODS = new Set<string>(FORWARDED_METHODS);

/** Builds the fastify app of a service. */
export function buildHttpApp(host: AppHost): FastifyInstance {
  const mcpPost = host.mcp && rawMcpPost(host, host.mcp);
  const unused = new Set<Socket>();
  const app = Fastify({
    // Typed as fastify's base logger, which every app of ours is built with.
    loggerInstance: host.logger as FastifyBaseLogger | undefined,
    // One debug line per request (logRequests) instead of fastify's two info lines.
    logController: new LogController({ disableRequestLogging: true }),
    // The id stamped on the request when it arrived (an inject()ed one gets it here).
    requestIdHeader: false,
    genReqId: (req) => requestIdOf(req.headers),
    bodyLimit: host.bodyLimit,
    // Errors fastify meets before routing (a malformed URL) get our JSON body too.
    frameworkErrors: (error, request, reply) => errorHandler(error, request, reply),
    clientErrorHandler: clientError,
    serverFactory: (handler) =>
      trackUnused(
        createServer(
          {
            requestTimeout: host.requestTimeout,
            // The access policy answers a missing Host (403 FORBIDDEN_HOST, as JSON) rather than
            // Node's bare 400.
            requireHostHeader: false,
            headersTimeout: host.headersTimeout,
            // Node checks both timeouts on this interval (30 s by default, far too coarse).
            connectionsCheckingInterval: Math.min(1_000, host.headersTimeout),
          },
          (req, res) => {
            // First thing: forwarded requests and the raw MCP path never reach fastify's genReqId.
            const id = requestIdOf(req.headers);
            if (host.handleRaw(req, res)) return;
            if (mcpPost && req.method === "POST" && pathOf(req.url) === mcpPost.path) {
              res.setHeader(REQUEST_ID_HEADER, id);
              return mcpPost.handle(req, res);
            }
            handler(req, res);
          },
        ),
        unused,
      ),
  });
  // Connections that never sent a request (clients open spare ones) would hold a closing server
  // open until they time out: nothing is in flight on them, so they go first.
  if (mcpPost) mcpPost.log = app.log;
  app.addHook("preClose", (done) => {
    if (mcpPost) mcpPost.closing = true;
    for (const socket of unused) socket.destroy();
    unused.clear();
    done();
  });
  app.addHook("onRequest", (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    const raw = request.raw;
    if (!ANSWERED_METHODS.has(raw.method ?? "")) {
      void reply.header("allow", [...ANSWERED_METHODS].join(", "));
      return done(new MethodNotAllowedError(`${clipText(raw.method ?? "", 40)} is not served`));
    }
    const action = (request.routeOptions.config as RouteAccess).access ?? "call";
    const refused = host.policy.check(raw, action);
    if (refused) return done(refused);
    const pending = host.policy.authorize(raw, action);
    if (pending === undefined) return done();
    pending.then((error) => done(error), done);
  });
  logRequests(app, host.logger);
  // JSON only: fastify's default text/plain parser would hand handlers strings (415 instead).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("application/json", { parseAs: "string" }, jsonParser(app));
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    const error = new EndpointNotFoundError(`No endpoint at ${request.method} ${request.url}`);
    void reply.code(404).send(error.toJSON());
  });
  for (const endpoint of host.endpoints()) addRoute(app, host, endpoint);
  if (host.mcp) addMcpRoute(app, host.mcp);
  app.get("/openapi.json", () => host.openApi());
  if (host.docs) registerDocs(app, host.docs, host.rootToDocs === true);
  return app;
}

/**
 * fastify's own JSON parser (it refuses `__proto__` and `constructor.prototype` keys), except
 * that an empty body means "no input", as clients that POST without a body expect.
 */
function jsonParser(app: FastifyInstance): FastifyBodyParser<string> {
  const parse = app.getDefaultJsonParser("error", "error");
  return (request, body, done) => {
    if (body === "") return done(null, undefined);
    void parse.call(app, request, body, (error, value) => {
      if (!error) return done(null, value);
      done(new BadRequestError("Request body is not valid JSON", { cause: error }), undefined);
    });
  };
}

function addRoute(app: FastifyInstance, host: AppHost, endpoint: RegisteredEndpoint): void {
  const invoke = createInvoke(endpoint, host);
  const allowed = new Set<string>(endpoint.methods);
  // fastify answers HEAD through the GET route: allow it wherever GET is (RFC 9110 §9.3.2).
  if (allowed.has("GET")) allowed.add("HEAD");
  app.route({
    method: [...HTTP_METHODS],
    url: `/${endpoint.name}`,
    config: { access: endpoint.access } satisfies RouteAccess,
    // Every reply of the route counts, whoever made it (the handler, the policy's 401, a 422).
    ...(host.metrics
      ? { onResponse: countReplies(host.metrics.endpoint(endpoint.name, "http")) }
      : {}),
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      if (!allowed.has(request.method)) {
        void reply.header("allow", endpoint.methods.join(", "));
        throw new MethodNotAllowedError(
          `${request.method} is not allowed on /${endpoint.name} (allowed: ${endpoint.methods.join(", ")})`,
        );
      }
      const context = new HttpContext(request, reply);
      const span = host.tracing.otel?.endpoint(endpoint.name, request.raw);
      let result: InvokeResult;
      try {
        result = await (span
          ? span.run(() => invoke(request.body, context))
          : invoke(request.body, context));
      } catch (error) {
        span?.end(toPorticoError(error));
        throw error;
      } finally {
        context.release();
      }
      span?.end(result.kind === "empty" ? 204 : 200);
      if (result.kind === "json") {
        return reply.type("application/json; charset=utf-8").send(result.text.text);
      }
      return result.kind === "empty" ? reply.code(204).send() : sendJson(reply, result.value);
    },
  });
}

/**
 * `GET`/`POST`/`DELETE` of the MCP path, after the access policy like any route (tokens, Host,
 * Origin, rate limits); the MCP endpoint then answers on the raw response (streams included).
 */
function addMcpRoute(app: FastifyInstance, route: McpRoute): void {
  // A scope of its own: a body that is not JSON gets JSON-RPC's parse error (-32700), which MCP
  // clients understand, rather than our 400 body.
  void app.register((scope, _options, done) => {
    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser(
      "application/json",
      { parseAs: "string" },
      (_request, body, next) => {
        try {
          next(null, body === "" ? undefined : (JSON.parse(body as string) as unknown));
        } catch {
          next(null, NOT_JSON);
        }
      },
    );
    scope.route({
      method: ["GET", "POST", "DELETE"],
      url: route.path,
      config: { access: "call" } satisfies RouteAccess,
      handler: async (request, reply) => {
        if (request.body === NOT_JSON) {
          return reply.code(400).send(rpcError(-32700, "Parse error: the body is not JSON"));
        }
        const endpoint = await route.endpoint();
        void reply.hijack();
        const res = reply.raw;
        try {
          await endpoint.handle(request.raw, res, request.body);
        } catch (error) {
          request.log.error({ err: error }, "MCP request failed");
          if (!res.headersSent) {
            const body = JSON.stringify(rpcError(-32603, "Internal error"));
            res.writeHead(500, { "content-type": "application/json" }).end(body);
          } else res.destroy();
        }
      },
    });
    done();
  });
  app.addHook("preClose", async () => route.close());
}

/**
 * POSTs to the MCP path, served before fastify routing like forwarded traffic (its hooks, parser
 * and reply cost as much as a tool call itself): the same access policy, JSON only, the same
 * body limit, JSON-RPC's parse error for a body that is not JSON, then the MCP endpoint. GET and
 * DELETE (2025 streams and session ends) and `inject()` take the fastify route.
 */
function rawMcpPost(host: AppHost, route: McpRoute): RawMcpPost {
  const fail = (res: ServerResponse, error: unknown): void => sendError(res, toPorticoError(error));
  const raw: RawMcpPost = {
    path: route.path,
    closing: false,
    log: undefined,
    handle: (req, res) => {
      // Closing: no new MCP exchange (fastify's routes answer 503 the same way).
      if (raw.closing) return sendError(res, new ServiceStoppingError("The service is stopping"));
      const refused = host.policy.check(req, "call");
      if (refused) return sendError(res, refused);
      const pending = host.policy.authorize(req, "call");
      if (pending === undefined) return serve(req, res);
      pending.then(
        (error) => (error ? sendError(res, error) : serve(req, res)),
        (error: unknown) => fail(res, error),
      );
    },
  };
  const serve = (req: IncomingMessage, res: ServerResponse): void => {
    const type = req.headers["content-type"] ?? "";
    if (!/^application\/json\s*(;|$)/i.test(type)) {
      return sendError(
        res,
        new UnsupportedMediaTypeError(`Unsupported Media Type: ${clipText(type, 80)}`),
      );
    }
    readBody(req, host.bodyLimit).then(
      (text) => {
        let body: unknown;
        try {
          body = text === "" ? undefined : JSON.parse(text);
        } catch {
          const reply = JSON.stringify(rpcError(-32700, "Parse error: the body is not JSON"));
          res.writeHead(400, { "content-type": "application/json" }).end(reply);
          return;
        }
        route
          .endpoint()
          .then((endpoint) => endpoint.handle(req, res, body))
          .catch((error: unknown) => {
            // As the fastify route answers it: logged, and JSON-RPC's internal error.
            raw.log?.error({ err: error }, "MCP request failed");
            if (res.headersSent) return void res.destroy();
            const reply = JSON.stringify(rpcError(-32603, "Internal error"));
            res.writeHead(500, { "content-type": "application/json" }).end(reply);
          });
      },
      (error: unknown) => fail(res, error),
    );
  };
  return raw;
}

/** The raw MCP POST handler, and what the app tells it (its logger, that it is closing). */
interface RawMcpPost {
  readonly path: string;
  closing: boolean;
  log: FastifyBaseLogger | undefined;
  handle(req: IncomingMessage, res: ServerResponse): void;
}

/** Keeps `unused` holding the server's connections that have not sent a byte yet. */
function trackUnused(server: Server, unused: Set<Socket>): Server {
  server.on("connection", (socket: Socket) => {
    unused.add(socket);
    const used = (): void => {
      unused.delete(socket);
    };
    socket.once("data", used);
    socket.once("close", used);
  });
  return server;
}

/** The path of a request target, without its query string. */
function pathOf(url: string | undefined): string {
  const target = url ?? "/";
  const query = target.indexOf("?");
  return query === -1 ? target : target.slice(0, query);
}

/** Marks a POST body that is not JSON (the MCP route answers it with a parse error). */
const NOT_JSON = Symbol("not JSON");

function rpcError(code: number, message: string): object {
  return { jsonrpc: "2.0", error: { code, message }, id: null };
}

/**
 * The handler context of an HTTP call. Its `signal` aborts only when the caller goes away before
 * the reply, and is made on first use: most handlers never read it, and a controller and
 * listener per request cost throughput.
 */
class HttpContext implements HandlerContext {
  readonly transport = "http" as const;
  private controller: AbortController | undefined;

  constructor(
    readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
  ) {}

  get headers(): IncomingHttpHeaders {
    return this.request.headers;
  }

  get auth(): CallerAuth {
    return callerAuth(this.request.headers);
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      this.reply.raw.once("close", this.onClose);
    }
    return this.controller.signal;
  }

  /** Stops listening for the caller's departure (the handler is done). */
  release(): void {
    if (this.controller) this.reply.raw.off("close", this.onClose);
  }

  // The response's `close`, not the request's: the request emits `close` as soon as its body
  // has been read, which aborted every handler that awaited anything.
  private readonly onClose = (): void => {
    if (!this.reply.raw.writableFinished) this.controller?.abort();
  };
}

/** Replies are JSON whatever their value (fastify would send a bare string as text/plain). */
function sendJson(reply: FastifyReply, value: unknown): unknown {
  if (typeof value !== "string") return value;
  return reply.type("application/json; charset=utf-8").send(JSON.stringify(value));
}

function errorHandler(
  error: FastifyError | PorticoError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const mapped = toPorticoError(error);
  if (mapped.status >= 500) request.log.error({ err: error }, "endpoint failed");
  const extra = errorHeaders(mapped);
  if (extra) void reply.headers(extra);
  if (mapped.code === "PAYLOAD_TOO_LARGE" && !request.raw.complete) {
    // fastify would close with the body unread: the reset would hide this 413 from the client.
    drainBody(request.raw);
    void reply.removeHeader("connection");
  }
  void reply.code(mapped.status).send(mapped.toJSON());
}

/**
 * Errors of Node's HTTP parser and of the server's timeouts, answered in our JSON shape (Node and
 * fastify would answer plain text or their own JSON). The connection is closed after it.
 */
function clientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const response = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (!socket.writable || response?.headersSent) {
    socket.destroy();
    return;
  }
  const mapped =
    error.code === "HPE_HEADER_OVERFLOW"
      ? new HeadersTooLargeError("Request headers are too large")
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? new RequestTooSlowError("The request did not arrive in time")
        : new BadRequestError(`Malformed HTTP request (${error.code ?? "parse error"})`);
  const body = JSON.stringify(mapped.toJSON());
  socket.end(
    `HTTP/1.1 ${mapped.status} ${STATUS_CODES[mapped.status] ?? ""}\r\n` +
      "Content-Type: application/json; charset=utf-8\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

/** Maps anything thrown while handling a request to a catalogue error. */
export function toPorticoError(error: unknown): PorticoError {
  if (error instanceof PorticoError) {
    // Local errors (a handler's own call timing out, a service it calls being down) never
    // serialise: the caller could not rebuild them and their status would describe its own call.
    if (ERROR_CODES[error.code].wire) return error;
    return new InternalError(`Handler failed: ${error.message}`, {
      cause: error,
      data: { cause: error.code },
    });
  }
  const fastifyError = error as FastifyError;
  switch (fastifyError.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new PayloadTooLargeError(fastifyError.message);
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new UnsupportedMediaTypeError(fastifyError.message);
    default:
      if (
        fastifyError.statusCode &&
        fastifyError.statusCode >= 400 &&
        fastifyError.statusCode < 500
      ) {
        return new BadRequestError(fastifyError.message, { cause: error });
      }
      return new InternalError(`Handler failed: ${(error as Error)?.message ?? String(error)}`, {
        cause: error,
      });
  }
}
