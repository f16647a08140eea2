/**
 * The options of the access policy, shared by services and gateways. Every one has a safe
 * default: no option at all gives a server that only loopback peers may administer.
 */
import type { IncomingHttpHeaders } from "node:http";

/**
 * What a request wants to do, as the policy sees it:
 * - `public`: `status` and `heartbeat` (health probes; still Host-checked);
 * - `call`: every other endpoint, list and OpenAPI document, and forwarded calls (caller token);
 *   the API reference's page and assets at `/docs` are `public` (they hold no data);
 * - `admin`: `shutdown`, `register_app`, `unregister_app`, and forwarded calls that reach an
 *   app's own admin endpoints (admin token; loopback peers only when none is configured).
 */
export type AccessAction = "public" | "call" | "admin";

/** What `authorize` is told about a request. */
export interface AccessRequest {
  readonly action: AccessAction;
  readonly method: string;
  /** The request target as received, e.g. `/echoer/echo?x=1`. */
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly remoteAddress: string;
  /** For forwarded calls: the app's name. */
  readonly app?: string;
}

/**
 * A check of your own (JWT, mTLS identity), run after the built-in ones. Return (or resolve)
 * `true`/`undefined` to allow, `false` to refuse with 403 FORBIDDEN, or throw a `PorticoError`
 * (e.g. `UnauthorizedError`) to refuse with its code.
 */
export type AuthorizeHook = (
  request: AccessRequest,
) => boolean | undefined | void | Promise<boolean | undefined | void>;

/** Per-client request rate limit (a token bucket per peer address). */
export interface RateLimitOptions {
  /** Requests a client may send per window. */
  max: number;
  /** Window in milliseconds (60 000). */
  windowMs?: number;
}

/** Options of the access policy and of the server's own limits. */
export interface SecurityOptions {
  /**
   * Bearer token for `register_app`, `unregister_app`, `shutdown` and forwarded admin calls
   * (`$PORTICO_ADMIN_TOKEN`). Without one, those answer to loopback peers only, and the server
   * refuses to listen on a non-loopback address unless `allowInsecure` is set.
   */
  adminToken?: string;
  /**
   * Bearer token for every call but `status`, `heartbeat` and the `/docs` page: endpoints, lists,
   * the OpenAPI document and forwarded calls (`$PORTICO_CALL_TOKEN`). The admin token is accepted
   * too. Off by default.
   */
  callToken?: string;
  /** Listen on a non-loopback address without an admin token (false). */
  allowInsecure?: boolean;
  /**
   * Host names (without port) requests may name in `Host` when the server listens on a
   * non-loopback address; `"*"` allows any. On a loopback bind only loopback names are allowed.
   * Default for a non-loopback bind: loopback names, the machine's host name and addresses.
   */
  allowedHosts?: string[];
  /** Origins (`https://ops.example`) allowed to call admin endpoints, besides same-origin ones. */
  allowedOrigins?: string[];
  /**
   * Trust `X-Forwarded-*` and `Forwarded` headers from these peers (`true`: from any peer; a
   * list of addresses or CIDRs). Default false: the gateway replaces them with its own view.
   */
  trustProxy?: boolean | string[];
  /** Your own check, run for every request after the built-in ones. */
  authorize?: AuthorizeHook;
  /** Per-client rate limit (off by default): 429 RATE_LIMITED with `Retry-After`. */
  rateLimit?: RateLimitOptions;
  /** Milliseconds a client may take to send a whole request (60 000); then 408 REQUEST_TOO_SLOW. */
  requestTimeout?: number;
  /** Milliseconds a client may take to send the request headers (10 000). */
  headersTimeout?: number;
}
