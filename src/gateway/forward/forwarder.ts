/**
 * Forwarding, in one place: `/<app>/<path>?<query>` goes to the app's keep-alive undici Pool with
 * method, query, headers (minus hop-by-hop, plus the gateway's own `X-Forwarded-*` and `Via`) and
 * body passed through as bytes, and the reply's status, headers and body streamed back untouched.
 * Route lookup is one Map lookup, before any framework routing; the access policy runs here too,
 * since fastify's hooks never see this traffic.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { PassThrough, Transform } from "node:stream";
import type { TransformCallback } from "node:stream";
import type { Dispatcher } from "undici";
import {
  AppNotRegisteredError,
  BadRequestError,
  ForbiddenError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  UpstreamBusyError,
} from "../../errors.js";
import type { PorticoError } from "../../errors.js";
import { clipText } from "../../net/url.js";
import { FORWARDED_METHODS } from "../../contract/endpoint.js";
import type { AccessPolicy } from "../../security/policy.js";
import type { AccessAction } from "../../security/options.js";
import { sendError } from "../../service/http/send-error.js";
import { toPorticoError } from "../../service/http-app.js";
import { noHealthyInstance } from "../upstream/balancer.js";
import { IDEMPOTENT_METHODS } from "../upstream/failover.js";
import type { AppInstances } from "../upstream/balancer.js";
import type { Fleet } from "../upstream/fleet.js";
import type { Instance } from "../upstream/instance.js";
import type { Upstreams } from "../upstream/upstreams.js";
import { BUFFER_LIMIT, ForwardHandler } from "./forward-handler.js";
import { requestHeaders } from "./headers.js";
import { decodeSafe, firstSegment, unsafePath } from "./path-rule.js";
import type { ForwardObservation, ForwardObserver } from "../../observe/forward-observer.js";
import { CALLER_GONE_STATUS } from "../../observe/app-metrics.js";

const ALLOWED_METHODS = new Set<string>(FORWARDED_METHODS);
const ALLOW_HEADER = FORWARDED_METHODS.join(", ");

/** Options of the forwarder. */
export interface ForwarderOptions {
  upstreams: Upstreams;
  /** The apps and their instances (kept by the route table). */
  fleet: Fleet;
  policy: AccessPolicy;
  /** Largest forwarded request body in bytes. */
  maxBodyBytes: number;
  /** Requests in flight per app before 503 UPSTREAM_BUSY (0: no cap). */
  maxInFlightPerApp: number;
  /** Endpoint names that stop or reconfigure a service: forwarded only with the admin token. */
  adminEndpoints: ReadonlySet<string>;
  /**
   * Called when a request names an app this gateway does not know: resolves true once it is
   * known (registered on another replica a moment ago), false for a 404.
   */
  onUnknownApp?: (name: string) => Promise<boolean>;
  /** Serves a call of an app that is an MCP server (its endpoints are tools, not HTTP paths). */
  mcp?: (req: IncomingMessage, res: ServerResponse, app: AppInstances, path: string) => void;
  /** Told of every request routed to an app, and of how it ended (metrics, logs). */
  observer?: ForwardObserver | undefined;
}

/** Routes requests to registered apps. */
export class Forwarder {
  private readonly apps: Map<string, AppInstances>;
  private readonly upstreams: Upstreams;
  private readonly policy: AccessPolicy;
  /** Told of every routed request; replaced at serve time, once tracing is known. */
  observer: ForwardObserver | undefined;

  constructor(private readonly options: ForwarderOptions) {
    this.upstreams = options.upstreams;
    this.policy = options.policy;
    this.apps = options.fleet.apps;
    this.observer = options.observer;
  }

  /**
   * Handles `req` when its first path segment names an app, or when it has two or more segments
   * (an unknown app then gets 404 APP_NOT_REGISTERED). Returns false to let the service route it.
   */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? "/";
    if (url.charCodeAt(0) !== 47 /* "/" */) {
      // An absolute-form target (`GET http://x/y`) or `*`: not a path of ours.
      sendError(res, new BadRequestError("Only origin-form request targets (/path) are served"));
      return true;
    }
    let end = url.indexOf("/", 1);
    const query = url.indexOf("?");
    const nested = end !== -1 && (query === -1 || end < query);
    if (!nested) end = query === -1 ? url.length : query;
    const route = this.apps.get(url.slice(1, end));
    if (!route && !nested) return false;
    const rest = url.slice(end);
    const restPath = query === -1 ? rest : url.slice(end, query < end ? end : query);
    const refusal = this.refuse(req, res, rest, restPath, route);
    if (refusal === true) return true;
    const action: AccessAction = refusal;
    const denied =
      this.policy.check(req, action) ??
      (action === "admin" && !this.policy.hasAdminToken
        ? new ForbiddenError(
            "Forwarded calls to an app's admin endpoints need the gateway's adminToken, and none is configured",
          )
        : undefined);
    if (denied) {
      sendError(res, denied);
      return true;
    }
    if (!route) {
      this.unknownApp(req, res, url.slice(1, end), rest, action);
      return true;
    }
    this.proceed(req, res, route, rest, action);
    return true;
  }

  /** A request for an app not in the table: wait for the feed (bounded), then 404 or forward. */
  private unknownApp(
    req: IncomingMessage,
    res: ServerResponse,
    raw: string,
    rest: string,
    action: AccessAction,
  ): void {
    const notFound = (): void => {
      const name = clipText(decodeSafe(raw));
      sendError(
        res,
        new AppNotRegisteredError(`App "${name}" is not registered`, { data: { name } }),
      );
    };
    const wait = this.options.onUnknownApp;
    if (!wait) return notFound();
    wait(raw)
      .then((known) => {
        const route = known ? this.apps.get(raw) : undefined;
        if (!route) return notFound();
        this.proceed(req, res, route, rest, action);
      }, notFound)
      .catch((error: unknown) => sendError(res, toPorticoError(error)));
  }

  private proceed(
    req: IncomingMessage,
    res: ServerResponse,
    route: AppInstances,
    rest: string,
    action: AccessAction,
  ): void {
    const path = rest === "" || rest[0] === "?" ? `/${rest}` : rest;
    const hook = this.policy.authorize(req, action, route.name);
    if (hook === undefined) {
      this.forward(req, res, route, path);
    } else {
      hook
        .then((error) => {
          if (error) sendError(res, error);
          else this.forward(req, res, route, path);
        })
        .catch((error: unknown) => sendError(res, toPorticoError(error)));
    }
  }

  /**
   * Refuses what is never forwarded (sending the error and returning true), else returns the
   * request's access action: `admin` when it reaches one of the app's admin endpoints.
   */
  private refuse(
    req: IncomingMessage,
    res: ServerResponse,
    rest: string,
    restPath: string,
    route: AppInstances | undefined,
  ): AccessAction | true {
    const method = req.method ?? "GET";
    if (!ALLOWED_METHODS.has(method)) {
      res.setHeader("allow", ALLOW_HEADER);
      sendError(
        res,
        new MethodNotAllowedError(
          `${clipText(method)} is not forwarded (allowed: ${ALLOW_HEADER})`,
        ),
      );
      return true;
    }
    if (unsafePath(restPath)) {
      // `/app/..%2Fadmin` must not reach the upstream's paths outside the app's base path.
      sendError(
        res,
        new BadRequestError(
          "Paths with . or .. segments, encoded slashes (%2F, %5C) or bad percent-encoding are not forwarded",
        ),
      );
      return true;
    }
    const length = Number(req.headers["content-length"] ?? 0);
    if (length > this.options.maxBodyBytes) {
      sendError(res, tooLarge(this.options.maxBodyBytes));
      return true;
    }
    const first = firstSegment(rest);
    const admin = this.options.adminEndpoints.has(first) || route?.adminEndpoints?.has(first);
    return admin ? "admin" : "call";
  }

  /**
   * Sends the call to one of the app's routable instances (503 NO_HEALTHY_INSTANCE at once when
   * there is none). A call that could not connect is tried once more on another instance; so is
   * one reset before any reply byte when its method is idempotent. Only calls whose body is in
   * memory (or empty) are retried: a streamed body cannot be sent twice.
   */
  private forward(
    req: IncomingMessage,
    res: ServerResponse,
    app: AppInstances,
    path: string,
  ): void {
    const observation = this.observer?.start(req, app.name);
    if (app.kind === "mcp" && this.options.mcp) {
      if (observation) observeReply(res, observation);
      return this.options.mcp(req, res, app, path);
    }
    const first = app.pick();
    if (!first) return refuse(res, noHealthyInstance(app), observation);
    const cap = this.options.maxInFlightPerApp;
    if (cap > 0) {
      if (app.inFlight >= cap) {
        refuse(
          res,
          new UpstreamBusyError(`App "${app.name}" has ${cap} requests in flight already`, {
            data: { name: app.name, maxInFlight: cap },
          }),
          observation,
        );
        return;
      }
      // Taken now, while the body may still be arriving, and given back when the exchange with
      // the caller ends, however it ends (a listener only when a cap is set: it costs).
      app.inFlight++;
      res.once("close", () => app.inFlight--);
    }
    const method = req.method as Dispatcher.HttpMethod;
    const length = Number(req.headers["content-length"] ?? NaN);
    const headers = requestHeaders(req, this.policy);
    const idempotent = IDEMPOTENT_METHODS.has(method);
    const passive = this.options.fleet.passive;
    const timeout = this.upstreams.options.upstreamTimeout;
    const send = (
      instance: Instance,
      body: Dispatcher.DispatchOptions["body"],
      replayable: boolean,
      retried: boolean,
    ): void => {
      if (req.socket.destroyed) return observation?.end(CALLER_GONE_STATUS); // left meanwhile
      const retry =
        replayable && !retried
          ? (connectFailed: boolean): boolean => {
              if (!connectFailed && !idempotent) return false;
              const other = app.pick(instance);
              if (!other) return false;
              send(other, body, true, true);
              return true;
            }
          : undefined;
      instance.inFlight++;
      const handler = new ForwardHandler(req, res, instance, timeout, passive, retry);
      handler.observation = observation;
      instance.pool.dispatch({ method, path: instance.basePath + path, headers, body }, handler);
    };
    const chunked = req.headers["transfer-encoding"] !== undefined;
    if (length === 0 || (Number.isNaN(length) && !chunked)) return send(first, null, true, false);
    if (length <= BUFFER_LIMIT) {
      // The body took a while: pick again if the first choice went down (or left) meanwhile.
      return bufferBody(
        req,
        (body) => {
          const instance = first.routable ? first : app.pick();
          if (instance) send(instance, body, true, false);
          else refuse(res, noHealthyInstance(app), observation);
        },
        observation,
      );
    }
    // Node's parser stops a body at its Content-Length; a chunked one is counted as it passes.
    // undici destroys the body it was given when the app answers early: never hand it `req`
    // itself, whose rest must then be drained so the caller's connection stays usable.
    const max = this.options.maxBodyBytes;
    const body = req.pipe(Number.isNaN(length) ? new BodyLimit(max) : new PassThrough());
    send(first, body, false, false);
  }
}

/** Sends the gateway's own error reply for a routed request, telling its observers first. */
function refuse(
  res: ServerResponse,
  error: PorticoError,
  observation: ForwardObservation | undefined,
): void {
  observation?.end(error.status, error.code);
  sendError(res, error);
}

/** Ends `observation` with the reply's status once `res` is done (499 when the caller left). */
function observeReply(res: ServerResponse, observation: ForwardObservation): void {
  res.once("close", () =>
    observation.end(res.writableFinished ? res.statusCode : CALLER_GONE_STATUS),
  );
}

/**
 * Collects a small body, then sends. A caller that leaves before its whole body came never
 * reaches `send`: its request ends as 499.
 */
function bufferBody(
  req: IncomingMessage,
  send: (body: Buffer) => void,
  observation: ForwardObservation | undefined,
): void {
  const chunks: Buffer[] = [];
  req.on("data", (chunk: Buffer) => chunks.push(chunk));
  req.on("end", () => send(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
  if (observation) {
    req.once("close", () => {
      if (!req.complete) observation.end(CALLER_GONE_STATUS);
    });
  }
}

/** A streamed request body that fails with 413 once it passes `max` bytes. */
class BodyLimit extends Transform {
  private size = 0;

  constructor(private readonly max: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: string, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.max) return callback(tooLarge(this.max));
    callback(null, chunk);
  }
}

function tooLarge(max: number): PayloadTooLargeError {
  return new PayloadTooLargeError(`Request body exceeds the gateway's limit of ${max} bytes`, {
    data: { maxBodyBytes: max },
  });
}
