/**
 * The access policy: one module decides who may do what, for the server's own routes (through a
 * fastify hook) and for forwarded traffic (called by the forwarder, which skips fastify routing
 * for speed and so must never skip this). Checks, in order: loops (`Via`), Host, rate limit,
 * Origin (admin only), tokens and peers, then the user's `authorize` hook.
 */
import type { IncomingMessage } from "node:http";
import { hostname as machineName, networkInterfaces } from "node:os";
import {
  ForbiddenError,
  ForbiddenHostError,
  ForbiddenOriginError,
  InsecureBindError,
  InvalidOptionsError,
  LoopDetectedError,
  PorticoError,
  RateLimitedError,
  UnauthorizedError,
} from "../errors.js";
import {
  hostOfHeader,
  isLoopbackAddress,
  isLoopbackHost,
  parseAddressList,
} from "../net/address.js";
import type { AddressList } from "../net/address.js";
import { clipText } from "../net/url.js";
import { BearerToken } from "./bearer.js";
import type { AccessAction, AuthorizeHook, SecurityOptions } from "./options.js";
import { RateLimiter } from "./rate-limit.js";

/** Set on a request whose `Authorization` held one of this server's tokens. */
const OWN_CREDENTIAL = Symbol("portico.ownCredential");
/**
 * The `Authorization` value that last matched on a connection, per token kind: later requests on
 * that keep-alive connection carrying the very same value skip the hash. Safe against timing
 * attacks: the value compared against is one this connection already proved it knows.
 */
const VERIFIED = Symbol("portico.verified");
type VerifiedSocket = { [VERIFIED]?: { call?: string; admin?: string } };

function matchesOnConnection(
  req: IncomingMessage,
  token: BearerToken,
  kind: "call" | "admin",
  authorization: string,
): boolean {
  const socket = req.socket as VerifiedSocket;
  if (socket[VERIFIED]?.[kind] === authorization) return true;
  if (!token.matches(authorization)) return false;
  (socket[VERIFIED] ??= {})[kind] = authorization;
  return true;
}

/**
 * True when the request's `Authorization` carried this server's own token: the gateway keeps it
 * to itself rather than hand its token to every app it forwards to.
 */
export function carriesOwnCredential(req: IncomingMessage): boolean {
  return (req as IncomingMessage & { [OWN_CREDENTIAL]?: true })[OWN_CREDENTIAL] === true;
}

function markOwnCredential(req: IncomingMessage): undefined {
  (req as IncomingMessage & { [OWN_CREDENTIAL]?: true })[OWN_CREDENTIAL] = true;
  return undefined;
}

/** Host header values remembered with their verdict (a server sees few distinct ones). */
const HOST_CACHE_LIMIT = 1_000;

/** The policy of one server. */
export class AccessPolicy {
  /** This server's `Via` entry (`1.1 portico-<id>`): a request carrying it has looped. */
  readonly via: string;
  readonly trustProxy: AddressList | boolean;
  private readonly adminToken: BearerToken | undefined;
  private readonly callToken: BearerToken | undefined;
  private readonly allowInsecure: boolean;
  private readonly extraHosts: ReadonlySet<string> | "*";
  private readonly allowedOrigins: ReadonlySet<string>;
  private readonly limiter: RateLimiter | undefined;
  private readonly hook: AuthorizeHook | undefined;
  private readonly viaToken: string;
  private hosts: ReadonlySet<string> = new Set();
  private loopbackOnly = true;
  private readonly hostVerdicts = new Map<string, boolean>();

  constructor(
    options: SecurityOptions,
    serverId: string,
    /**
     * Whether a same-origin page may call admin endpoints. On a gateway only with an admin
     * token configured: every app it forwards to is served from the gateway's own origin, so
     * without a token a page of any app would count.
     */
    private readonly sameOriginAdmin = true,
  ) {
    const admin = options.adminToken ?? process.env.PORTICO_ADMIN_TOKEN;
    const call = options.callToken ?? process.env.PORTICO_CALL_TOKEN;
    this.adminToken = admin ? new BearerToken(admin) : undefined;
    this.callToken = call ? new BearerToken(call) : undefined;
    this.allowInsecure = options.allowInsecure === true;
    const hosts = options.allowedHosts;
    this.extraHosts = hosts?.includes("*")
      ? "*"
      : new Set((hosts ?? []).map((h) => h.toLowerCase()));
    this.allowedOrigins = new Set((options.allowedOrigins ?? []).map(normalizeOrigin));
    this.trustProxy = Array.isArray(options.trustProxy)
      ? parseAddressList(options.trustProxy, "trustProxy")
      : options.trustProxy === true;
    if (options.rateLimit) this.limiter = new RateLimiter(checkRateLimit(options.rateLimit));
    this.hook = options.authorize;
    this.viaToken = `portico-${serverId.replace(/-/g, "").slice(0, 12)}`;
    this.via = `1.1 ${this.viaToken}`;
    this.explicitHosts = hosts !== undefined;
  }

  private readonly explicitHosts: boolean;

  /** True when admin actions need a token (else loopback peers only). */
  get hasAdminToken(): boolean {
    return this.adminToken !== undefined;
  }

  /** True when calls need the caller token (the API reference then declares bearer auth). */
  get hasCallToken(): boolean {
    return this.callToken !== undefined;
  }

  /**
   * Called before listening on `host`: refuses a non-loopback bind with no admin token (unless
   * `allowInsecure`), and settles which Host names requests may carry.
   */
  bind(host: string): void {
    this.loopbackOnly = isLoopbackHost(host);
    this.hostVerdicts.clear();
    if (this.loopbackOnly) return;
    if (!this.adminToken && !this.allowInsecure) {
      throw new InsecureBindError(
        `Refusing to listen on ${host} with no adminToken: anyone who can reach it could stop or reconfigure it. Set adminToken (PORTICO_ADMIN_TOKEN, --admin-token), or allowInsecure (--insecure).`,
        { data: { host } },
      );
    }
    if (!this.explicitHosts) this.hosts = machineHosts(host);
  }

  /** The first built-in check that refuses the request, or undefined. */
  check(req: IncomingMessage, action: AccessAction): PorticoError | undefined {
    const headers = req.headers;
    const via = headers.via;
    if (via !== undefined && via.includes(this.viaToken)) {
      return new LoopDetectedError("This request has passed through this gateway already", {
        data: { via },
      });
    }
    const host = headers.host;
    if (host === undefined || !this.hostAllowed(host)) {
      return new ForbiddenHostError(`Host ${JSON.stringify(clipText(host ?? ""))} is not allowed`, {
        data: { host: clipText(host ?? "") },
      });
    }
    if (this.limiter) {
      const wait = this.limiter.take(req.socket.remoteAddress ?? "");
      if (wait > 0) {
        return new RateLimitedError(`Too many requests: retry in ${wait} s`, {
          data: { retryAfter: wait },
        });
      }
    }
    if (action === "public") return undefined;
    if (action === "admin") return this.checkAdmin(req);
    const callToken = this.callToken;
    const authorization = headers.authorization;
    const admin = this.adminToken;
    if (callToken === undefined) {
      // Calls are open, but a client that sends the admin token anyway (launch() hands it to
      // its client) must not have it forwarded to apps: mark it as this server's own.
      if (authorization !== undefined && admin !== undefined) {
        if (matchesOnConnection(req, admin, "admin", authorization)) markOwnCredential(req);
      }
      return undefined;
    }
    if (authorization === undefined) return unauthorized("This server needs a caller token");
    if (
      matchesOnConnection(req, callToken, "call", authorization) ||
      (admin !== undefined && matchesOnConnection(req, admin, "admin", authorization))
    ) {
      return markOwnCredential(req);
    }
    return new ForbiddenError("The token is not valid for this server");
  }

  /** Runs the user's hook, if any: undefined when there is none (the common, synchronous case). */
  authorize(
    req: IncomingMessage,
    action: AccessAction,
    app?: string,
  ): Promise<PorticoError | undefined> | undefined {
    const hook = this.hook;
    if (!hook) return undefined;
    const run = async (): Promise<PorticoError | undefined> => {
      const verdict = await hook({
        action,
        method: req.method ?? "GET",
        url: req.url ?? "/",
        headers: req.headers,
        remoteAddress: req.socket.remoteAddress ?? "",
        ...(app === undefined ? {} : { app }),
      });
      return verdict === false ? new ForbiddenError("Refused by the authorize hook") : undefined;
    };
    return run().catch((error: unknown) =>
      error instanceof PorticoError
        ? error
        : new ForbiddenError("The authorize hook failed", { cause: error }),
    );
  }

  private checkAdmin(req: IncomingMessage): PorticoError | undefined {
    const headers = req.headers;
    if (headers["sec-fetch-site"] === "cross-site") {
      return new ForbiddenOriginError("Admin endpoints refuse cross-site requests");
    }
    const origin = headers.origin;
    if (origin !== undefined && !this.originAllowed(origin, headers.host)) {
      return new ForbiddenOriginError(
        `Origin ${JSON.stringify(clipText(origin))} may not call admin endpoints`,
        {
          data: { origin: clipText(origin) },
        },
      );
    }
    const token = this.adminToken;
    if (token === undefined) {
      if (isLoopbackAddress(req.socket.remoteAddress ?? "")) return undefined;
      return new ForbiddenError(
        "Admin endpoints answer only loopback peers when no adminToken is configured",
      );
    }
    const authorization = headers.authorization;
    if (authorization === undefined)
      return unauthorized("This admin endpoint needs the admin token");
    return matchesOnConnection(req, token, "admin", authorization)
      ? markOwnCredential(req)
      : new ForbiddenError("The admin token is not valid");
  }

  private hostAllowed(header: string): boolean {
    let verdict = this.hostVerdicts.get(header);
    if (verdict === undefined) {
      const host = hostOfHeader(header);
      verdict =
        isLoopbackHost(host) ||
        this.extraHosts === "*" ||
        this.extraHosts.has(host) ||
        (!this.loopbackOnly && this.hosts.has(host));
      if (this.hostVerdicts.size >= HOST_CACHE_LIMIT) this.hostVerdicts.clear();
      this.hostVerdicts.set(header, verdict);
    }
    return verdict;
  }

  private originAllowed(origin: string, host: string | undefined): boolean {
    const normalized = normalizeOrigin(origin);
    if (this.allowedOrigins.has(normalized)) return true;
    // Same-origin: a page served by this very server may administer it. On a gateway every app
    // shares its origin, so there only when an admin token is configured (and then required,
    // next): the console's user types it in, and a bearer token is no ambient credential
    // another app's page could ride on.
    if (!this.sameOriginAdmin && this.adminToken === undefined) return false;
    try {
      // An origin is http(s)://host[:port] and nothing else: one with a path or user info, or
      // of another scheme, is no page of this server.
      const url = new URL(origin);
      if (url.protocol !== "http:" && url.protocol !== "https:") return false;
      return host !== undefined && url.origin === normalized && url.host === host.toLowerCase();
    } catch {
      return false;
    }
  }
}

function unauthorized(message: string): UnauthorizedError {
  return new UnauthorizedError(`${message}: send "Authorization: Bearer <token>"`);
}

function normalizeOrigin(origin: string): string {
  return origin.toLowerCase().replace(/\/+$/, "");
}

function checkRateLimit(options: { max: number; windowMs?: number }): {
  max: number;
  windowMs?: number;
} {
  const { max, windowMs } = options;
  if (!Number.isFinite(max) || max < 1 || (windowMs !== undefined && !(windowMs >= 1))) {
    throw new InvalidOptionsError("rateLimit needs max >= 1 and windowMs >= 1", {
      data: { max, windowMs },
    });
  }
  return options;
}

/** Names a non-loopback server answers to by default: its host name and every address it has. */
function machineHosts(bound: string): ReadonlySet<string> {
  const hosts = new Set<string>([machineName().toLowerCase(), bound.toLowerCase()]);
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) hosts.add(entry.address.toLowerCase());
  }
  return hosts;
}
