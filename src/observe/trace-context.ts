/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) as the gateway speaks it: a valid
 * incoming `traceparent` is continued (same trace-id and flags, the gateway's own span id as the
 * parent-id sent upstream, `tracestate` passed on); an absent or invalid one starts a new sampled
 * trace. One hop per forwarded request, worked out once and kept on the request, so the upstream
 * headers, the log line and an OpenTelemetry span all name the same ids.
 */
import type { IncomingMessage } from "node:http";
import { randomFillSync } from "node:crypto";

/** The fields of a valid `traceparent`. */
export interface TraceParent {
  /** 32 lowercase hex digits, not all zero. */
  traceId: string;
  /** The caller's span: 16 lowercase hex digits, not all zero. */
  parentId: string;
  /** Two lowercase hex digits (01: sampled). */
  flags: string;
}

/** This gateway's hop of a trace: the ids it logs and the `traceparent` it sends upstream. */
export interface TraceHop {
  traceId: string;
  /** The gateway's span id for this hop (the parent-id the app sees). */
  spanId: string;
  traceparent: string;
  /** True when the caller's trace goes on (its `tracestate` is then passed on too). */
  continued: boolean;
}

// version-traceid-parentid-flags; a later version may append fields after one more dash.
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}(?:-|$)/;
const ZERO_TRACE_ID = "0".repeat(32);
const ZERO_SPAN_ID = "0".repeat(16);

/** The fields of `value` when it is a valid `traceparent`, else undefined. */
export function parseTraceparent(value: unknown): TraceParent | undefined {
  if (typeof value !== "string" || !TRACEPARENT.test(value)) return undefined;
  const version = value.slice(0, 2);
  // Version ff is invalid; version 00 has exactly these four fields.
  if (version === "ff" || (version === "00" && value.length !== 55)) return undefined;
  const traceId = value.slice(3, 35);
  const parentId = value.slice(36, 52);
  if (traceId === ZERO_TRACE_ID || parentId === ZERO_SPAN_ID) return undefined;
  return { traceId, parentId, flags: value.slice(53, 55) };
}

/** Most list-members a `tracestate` may have (W3C): one with more is dropped whole. */
const TRACESTATE_MEMBERS = 32;
/** Characters of `tracestate` passed on at most (W3C: at least 512): members past it are cut. */
const TRACESTATE_CHARS = 512;
/** Longest member kept when cutting (W3C: longer ones are removed first). */
const LONG_MEMBER = 128;
// key=value: a simple or `tenant@system` key, a value of printable ASCII but `,` and `=`, not
// ending in a space.
const TRACESTATE_MEMBER =
  /^(?:[a-z0-9][_0-9a-z*/-]{0,255}|[a-z0-9][_0-9a-z*/-]{0,240}@[a-z][_0-9a-z*/-]{0,13})=[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/;

/**
 * The `tracestate` to pass on: its members when every one is well-formed and there are at most
 * 32, cut to 512 characters (the longest members first, then from the end); else undefined.
 */
export function tracestateOf(value: unknown): string | undefined {
  if (typeof value !== "string") return undefined;
  const members: string[] = [];
  for (const part of value.split(",")) {
    const member = part.trim();
    if (member === "") continue;
    if (!TRACESTATE_MEMBER.test(member) || members.length === TRACESTATE_MEMBERS) return undefined;
    members.push(member);
  }
  let kept = members.join(",");
  if (kept.length > TRACESTATE_CHARS) {
    const short = members.filter((m) => m.length <= LONG_MEMBER);
    while (short.join(",").length > TRACESTATE_CHARS) short.pop();
    kept = short.join(",");
  }
  return kept === "" ? undefined : kept;
}

/** A new hop: continuing `parent` when given, else the root of a new sampled trace. */
export function newHop(parent: TraceParent | undefined): TraceHop {
  const spanId = randomId(8, ZERO_SPAN_ID);
  if (parent) {
    const { traceId, flags } = parent;
    return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-${flags}`, continued: true };
  }
  const traceId = randomId(16, ZERO_TRACE_ID);
  return { traceId, spanId, traceparent: `00-${traceId}-${spanId}-01`, continued: false };
}

const HOP = Symbol("portico.traceHop");
type WithHop = IncomingMessage & { [HOP]?: TraceHop };

/** The hop of a forwarded request, worked out on first use from its `traceparent`. */
export function hopOf(req: IncomingMessage): TraceHop {
  return ((req as WithHop)[HOP] ??= newHop(parseTraceparent(req.headers.traceparent)));
}

/** Sets the hop of `req` (an OpenTelemetry span's ids, which the SDK chose). */
export function setHop(req: IncomingMessage, hop: TraceHop): void {
  (req as WithHop)[HOP] = hop;
}

// Random ids cut from 4 KiB of random bytes turned into hex at once: one system call and one
// conversion per 256 span ids (slicing a string costs a tenth of converting 8 bytes each time).
const POOL_BYTES = 4096;
let pool = "";
let offset = 0;

/** `bytes` random bytes as lowercase hex, never `zero` (the invalid all-zero id). */
function randomId(bytes: number, zero: string): string {
  const length = bytes * 2;
  for (;;) {
    if (offset + length > pool.length) {
      pool = randomFillSync(Buffer.allocUnsafe(POOL_BYTES)).toString("hex");
      offset = 0;
    }
    const id = pool.slice(offset, offset + length);
    offset += length;
    if (id !== zero) return id;
  }
}
