/**
 * W3C Trace Context through the gateway, with no OpenTelemetry registered: a valid `traceparent`
 * goes on with the same trace-id and flags and the gateway's own parent-id, `tracestate` with
 * it; an absent or invalid one starts a new sampled trace.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../src/gateway/gateway.js";
import type { Running } from "../helpers/fixtures.js";
import type { LogCapture } from "../helpers/log-capture.js";
import { startLoggedGateway } from "../helpers/observe.js";
import type { LoggedGateway } from "../helpers/observe.js";
import type { PlainApp } from "../helpers/plain-app.js";
import { rawRequest } from "../helpers/raw-http.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_ID = "00f067aa0ba902b7";
const VALID = `00-${TRACE_ID}-${PARENT_ID}-01`;
const W3C = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

describe("traceparent through the gateway", () => {
  let stack: LoggedGateway | undefined;
  let logs: LogCapture;
  let gateway: Running<Gateway>;
  let plain: PlainApp;

  beforeAll(async () => {
    stack = await startLoggedGateway();
    ({ logs, gateway, plain } = stack);
  });
  afterAll(() => stack?.close());

  /** Sends a request through the gateway and returns the trace headers the app received. */
  async function upstreamTrace(headers: Record<string, string>) {
    const reply = await rawRequest(`${gateway.url}/plain/mirror`, { headers });
    expect(reply.status).toBe(200);
    const seen = plain.received.at(-1)!.headers;
    const match = W3C.exec(String(seen.traceparent));
    expect(match, String(seen.traceparent)).not.toBeNull();
    const [, traceId, parentId, flags] = match!;
    return {
      traceId,
      parentId,
      flags,
      tracestate: seen.tracestate,
      id: reply.headers["x-request-id"],
    };
  }

  it("keeps a valid trace: same trace-id and flags, a new parent-id, tracestate passed on", async () => {
    const seen = await upstreamTrace({
      traceparent: VALID,
      tracestate: "congo=t61rcWkgMzE,rojo=00f",
    });
    expect(seen).toMatchObject({
      traceId: TRACE_ID,
      flags: "01",
      tracestate: "congo=t61rcWkgMzE,rojo=00f",
    });
    expect(seen.parentId).not.toBe(PARENT_ID);
    expect(seen.parentId).not.toBe("0".repeat(16));
    const unsampled = await upstreamTrace({ traceparent: `00-${TRACE_ID}-${PARENT_ID}-00` });
    expect(unsampled).toMatchObject({ traceId: TRACE_ID, flags: "00" });
  });

  it("gives each forwarded request its own parent-id", async () => {
    const a = await upstreamTrace({ traceparent: VALID });
    const b = await upstreamTrace({ traceparent: VALID });
    expect(a.parentId).not.toBe(b.parentId);
  });

  it("continues a later version's traceparent as version 00", async () => {
    const seen = await upstreamTrace({
      traceparent: `cc-${TRACE_ID}-${PARENT_ID}-01-what-the-future-holds`,
    });
    expect(seen).toMatchObject({ traceId: TRACE_ID, flags: "01" });
  });

  it("starts a new sampled trace when there is none", async () => {
    const a = await upstreamTrace({});
    const b = await upstreamTrace({});
    expect(a.flags).toBe("01");
    expect(a.traceId).not.toBe(b.traceId);
    expect(a.traceId).not.toBe("0".repeat(32));
  });

  it.each([
    ["upper-case hex", `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`],
    ["an all-zero trace-id", `00-${"0".repeat(32)}-${PARENT_ID}-01`],
    ["an all-zero parent-id", `00-${TRACE_ID}-${"0".repeat(16)}-01`],
    ["version ff", `ff-${TRACE_ID}-${PARENT_ID}-01`],
    ["version 00 with more fields", `${VALID}-extra`],
    ["a short trace-id", `00-${TRACE_ID.slice(1)}-${PARENT_ID}-01`],
    ["garbage", "not a traceparent"],
  ])("starts a new trace instead of one with %s (and drops its tracestate)", async (_what, bad) => {
    const seen = await upstreamTrace({ traceparent: bad, tracestate: "rojo=00f" });
    expect(seen.traceId).not.toBe(TRACE_ID);
    expect(seen.flags).toBe("01");
    expect(seen.tracestate).toBeUndefined();
  });

  it("passes tracestate on only when well-formed with at most 32 members, cut to 512 characters", async () => {
    const state = async (tracestate: string) =>
      (await upstreamTrace({ traceparent: VALID, tracestate })).tracestate;
    // Spaces around members and empty members go; the members stay in order.
    expect(await state(" congo=t61rcWkgMzE , ,tenant@sys=v")).toBe(
      "congo=t61rcWkgMzE,tenant@sys=v",
    );
    const members = (n: number, size = 5) =>
      Array.from({ length: n }, (_, i) => `k${i}=${"v".repeat(size)}`);
    expect(await state(members(32).join(","))).toBe(members(32).join(","));
    expect(await state(members(33).join(","))).toBeUndefined();
    for (const bad of ["congo", "Congo=1", "a=b=c", "a=\u00e9", `${"k".repeat(257)}=v`, "=v"]) {
      expect([bad, await state(bad)]).toEqual([bad, undefined]);
    }
    // Over 512 characters: a member over 128 goes first, then members from the end.
    const long = `big=${"x".repeat(200)}`;
    const many = members(20, 30); // 20 members of 34 characters: 699 with the commas
    const cut = await state([many[0], long, ...many.slice(1)].join(","));
    expect(cut).toBe(many.slice(0, 14).join(","));
    expect(String(cut).length).toBeLessThanOrEqual(512);
  });

  it("logs the ids it sent upstream", async () => {
    const seen = await upstreamTrace({ traceparent: VALID });
    const line = logs.lines.find((l) => l.reqId === seen.id);
    expect(line).toMatchObject({ msg: "forwarded", traceId: TRACE_ID, spanId: seen.parentId });
  });
});
