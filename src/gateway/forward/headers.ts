/**
 * The header policy of forwarded traffic: hop-by-hop headers never pass (RFC 9110 §7.6.1), the
 * gateway states who the client is (`X-Forwarded-*`, `Via`) instead of trusting what the client
 * says, unless the peer is a trusted proxy, and the gateway's own tokens stay at the gateway.
 * The request's id goes on (the app logs the same one), and the trace goes on as this gateway's
 * hop (W3C `traceparent` with the gateway's span as parent).
 */
import type { IncomingHttpHeaders, IncomingMessage } from "node:http";
import { listHasAddress } from "../../net/address.js";
import type { AddressList } from "../../net/address.js";
import { carriesOwnCredential } from "../../security/policy.js";
import { REQUEST_ID_HEADER } from "../../observe/request-id.js";
import { hopOf, tracestateOf } from "../../observe/trace-context.js";

/** Hop-by-hop headers (RFC 9110 §7.6.1) and `host`, never passed on. */
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authenticate",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "host",
  "expect", // Node has answered 100-continue already; undici refuses the header
  "via", // rewritten with this gateway's entry
]);

/**
 * Reply headers not passed back: the hop-by-hop ones, and `Service-Worker-Allowed`, which only
 * the gateway sets (see `serviceWorkerScope`).
 */
const REPLY_DROPPED = new Set([...HOP_BY_HOP, "service-worker-allowed"]);

/**
 * The `Service-Worker-Allowed` of a reply to a service worker script fetch (browsers mark those
 * with `Service-Worker: script`): the app's own path. Every app shares the gateway's origin, so
 * a worker over `/` would serve its own `/console` or `/docs` to every later visit (the token
 * typed there included). Dropping the app's header is not enough: a script at `/<app>` or
 * `/<app>?x` sits in the folder `/`, which a browser grants by default.
 */
export function serviceWorkerScope(url: string): string {
  const query = url.indexOf("?");
  let end = url.indexOf("/", 1);
  if (end === -1 || (query !== -1 && query < end)) end = query === -1 ? url.length : query;
  return `${url.slice(0, end)}/`;
}

/** What a client says about earlier hops: dropped unless it is a trusted proxy. */
const CLIENT_FORWARDING = new Set([
  "x-forwarded-for",
  "x-forwarded-proto",
  "x-forwarded-host",
  "forwarded",
  "x-real-ip",
]);

/** What the header policy needs to know of the gateway. */
export interface HeaderPolicy {
  /** This gateway's `Via` entry. */
  via: string;
  /** Peers whose `X-Forwarded-*` headers are kept (`true`: all). */
  trustProxy: AddressList | boolean;
}

/** The headers sent upstream for `req`. */
export function requestHeaders(
  req: IncomingMessage,
  policy: HeaderPolicy,
  /** Headers left out besides the hop-by-hop ones (lower case). */
  skip?: ReadonlySet<string>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const headers = req.headers;
  const listed = connectionTokens(headers);
  const client = req.socket.remoteAddress ?? "";
  const trusted = trusts(policy.trustProxy, client);
  const ownCredential = carriesOwnCredential(req);
  for (const key in headers) {
    const value = headers[key];
    if (value === undefined || HOP_BY_HOP.has(key) || listed?.has(key)) continue;
    if (skip?.has(key)) continue;
    if (!trusted && CLIENT_FORWARDING.has(key)) continue;
    if (ownCredential && key === "authorization") continue; // the gateway's token stays here
    if (key === "traceparent" || key === "tracestate") continue; // set below, as this hop's
    out[key] = value;
  }
  const hop = hopOf(req);
  out.traceparent = hop.traceparent;
  // A restarted trace drops the caller's tracestate: it describes a trace that is not this one.
  // A malformed or oversized one is dropped or cut as W3C says, rather than sent on as is.
  const state = hop.continued ? tracestateOf(headers.tracestate) : undefined;
  if (state !== undefined) out.tracestate = state;
  const earlier = trusted ? headers["x-forwarded-for"] : undefined;
  out["x-forwarded-for"] = earlier ? `${String(earlier)}, ${client}` : client;
  if (!trusted || out["x-forwarded-proto"] === undefined) out["x-forwarded-proto"] = "http";
  if ((!trusted || out["x-forwarded-host"] === undefined) && headers.host) {
    out["x-forwarded-host"] = headers.host;
  }
  const via = headers.via;
  out.via = via ? `${via}, ${policy.via}` : policy.via;
  return out;
}

function trusts(trust: AddressList | boolean, address: string): boolean {
  return trust === true || (trust !== false && listHasAddress(trust, address));
}

/** Header names listed in `Connection` (RFC 9110 §7.6.1): they concern this hop only. */
function connectionTokens(headers: IncomingHttpHeaders): Set<string> | undefined {
  const value = headers.connection;
  if (!value || value === "keep-alive" || value === "close") return undefined;
  const list = Array.isArray(value) ? value.join(",") : value;
  return new Set(list.split(",").map((t) => t.trim().toLowerCase()));
}

/**
 * The reply's headers as passed back to the caller of `req` (hop-by-hop ones dropped), with the
 * request's id (the caller's own, whatever id the app answered with) and, for a service worker
 * script, the gateway's `Service-Worker-Allowed`.
 */
export function responseHeaders(
  upstream: IncomingHttpHeaders,
  req: Pick<IncomingMessage, "headers" | "url">,
): Record<string, string | string[]> {
  const requestId = req.headers[REQUEST_ID_HEADER];
  const headers: Record<string, string | string[]> = {};
  const listed = connectionTokens(upstream);
  for (const key in upstream) {
    const value = upstream[key];
    if (value !== undefined && !REPLY_DROPPED.has(key) && !listed?.has(key)) headers[key] = value;
  }
  if (requestId !== undefined) headers[REQUEST_ID_HEADER] = requestId;
  if (req.headers["service-worker"] !== undefined) {
    headers["service-worker-allowed"] = serviceWorkerScope(req.url ?? "/");
  }
  return headers;
}
