/**
 * A call of one app's endpoint made by the gateway itself (an MCP `tools/call`), not relayed from
 * a caller's socket: the same route table, access policy, balancing, per-app cap, passive health
 * and failover rule (src/gateway/upstream/failover.ts) as forwarded traffic, on the same pools.
 */
import type { IncomingMessage } from "node:http";
import type { CallerGone } from "../../net/caller.js";
import type { Dispatcher } from "undici";
import { UpstreamBusyError } from "../../errors.js";
import type { AccessPolicy } from "../../security/policy.js";
import { noHealthyInstance } from "../upstream/balancer.js";
import type { AppInstances } from "../upstream/balancer.js";
import type { Instance, PassiveOptions } from "../upstream/instance.js";
import { upstreamError } from "./forward-handler.js";
import { withFailover } from "../upstream/failover.js";
import { requestHeaders } from "./headers.js";
import type { ForwardObserver } from "../../observe/forward-observer.js";
import { observeCall } from "../../observe/observe-call.js";

/** What the gateway calls an app with. */
export interface AppCall {
  method: Dispatcher.HttpMethod;
  /** Path relative to the app (with its query string). */
  path: string;
  /** JSON body, already serialised (undefined: none). */
  body: string | undefined;
  /** The caller's request: its headers go on as forwarded headers do, and its token is checked. */
  req: IncomingMessage;
  /**
   * Safe to repeat on another instance after a broken connection (an idempotent method, an
   * endpoint that says it is idempotent or read-only). A call that could not connect is repeated
   * in any case.
   */
  replayable?: boolean;
  /** Tells when the caller left (the call is then cancelled). */
  caller: CallerGone;
}

/** The app's reply: status and body text. */
export interface AppReply {
  status: number;
  text: string;
}

/** What an app call needs of the gateway. */
export interface AppCallHost {
  policy: AccessPolicy;
  passive: PassiveOptions | undefined;
  upstreamTimeout: number;
  maxInFlightPerApp: number;
  /** Told of each call and how it ended, as for forwarded traffic (metrics, logs). */
  observer?: ForwardObserver | undefined;
}

/** Headers of the MCP exchange itself (they mean nothing to the app) and of its body's framing. */
const NOT_FORWARDED: ReadonlySet<string> = new Set([
  "accept",
  "mcp-session-id",
  "mcp-protocol-version",
  "mcp-method",
  "mcp-name",
  "last-event-id",
  "content-length",
  "transfer-encoding",
  "content-type",
]);

/**
 * Calls `app`; resolves with its reply (any status), rejects with a catalogue error when the call
 * is refused (policy, no healthy instance, busy) or the app could not be reached.
 */
export async function callApp(
  host: AppCallHost,
  app: AppInstances,
  call: AppCall,
): Promise<AppReply> {
  const pending = host.policy.authorize(call.req, "call", app.name);
  const denied = pending && (await pending);
  if (denied) throw denied;
  return observeCall(host.observer, {
    req: call.req,
    app: app.name,
    run: () => route(host, app, call),
    statusOf: (reply) => reply.status,
    gone: () => call.caller.gone,
  });
}

/** The call on one of the app's instances (and once more on another, as `withFailover` says). */
async function route(host: AppCallHost, app: AppInstances, call: AppCall): Promise<AppReply> {
  const first = app.pick();
  if (!first) throw noHealthyInstance(app);
  const cap = host.maxInFlightPerApp;
  if (cap > 0 && app.inFlight >= cap) {
    throw new UpstreamBusyError(`App "${app.name}" has ${cap} requests in flight already`, {
      data: { name: app.name, maxInFlight: cap },
    });
  }
  // Built without the MCP exchange's own headers and the body's framing (never deleted after:
  // an object that loses keys turns slow for every later read of it).
  const headers = requestHeaders(call.req, host.policy, NOT_FORWARDED);
  if (call.body !== undefined) headers["content-type"] = "application/json";
  if (cap > 0) app.inFlight++;
  try {
    return await withFailover(
      app,
      first,
      (instance) => send(host, instance, call, headers),
      (error, instance) => upstreamError(error, instance.url, host.upstreamTimeout),
      call.replayable === true,
    );
  } finally {
    if (cap > 0) app.inFlight--;
  }
}

async function send(
  host: AppCallHost,
  instance: Instance,
  call: AppCall,
  headers: Record<string, string | string[]>,
): Promise<AppReply> {
  instance.inFlight++;
  try {
    const reply = await dispatchText(
      instance.pool,
      {
        method: call.method,
        path: instance.basePath + call.path,
        headers,
        body: call.body ?? null,
      },
      call.caller,
    );
    const status = reply.status;
    // As for forwarded calls: 502-504 are the app's gateway failures, a 500 is its answer.
    if (status >= 502 && status <= 504) instance.failed(host.passive, `answered ${status}`);
    else instance.passed();
    return reply;
  } catch (error) {
    // The caller left (whatever reason its signal carries): no fault of the instance.
    if (!call.caller.gone) instance.failed(host.passive, (error as Error).message);
    throw error;
  } finally {
    instance.inFlight--;
  }
}

/**
 * One request on `pool`, its reply collected as text: `dispatch` with a small handler rather than
 * `request()`, whose stream of the body costs more than the rest of a small call.
 */
function dispatchText(
  pool: Dispatcher,
  options: Dispatcher.DispatchOptions,
  caller: CallerGone,
): Promise<AppReply> {
  return new Promise((resolve, reject) => {
    let status = 0;
    const chunks: Buffer[] = [];
    let stop: (() => void) | undefined;
    pool.dispatch(options, {
      onRequestStart(controller) {
        const abort = (): void => controller.abort(new Error("the caller went away"));
        if (caller.gone) return abort();
        stop = caller.onGone(abort);
      },
      onResponseStart(_controller, statusCode) {
        status = statusCode;
      },
      onResponseData(_controller, chunk) {
        if (status >= 200) chunks.push(chunk);
      },
      onResponseEnd() {
        stop?.();
        const text = chunks.length === 1 ? chunks[0]!.toString() : Buffer.concat(chunks).toString();
        resolve({ status, text });
      },
      onResponseError(_controller, error) {
        stop?.();
        reject(error);
      },
    });
  });
}
