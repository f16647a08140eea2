/**
 * The gateway's limits over real sockets: one per-client rate limit for its own routes and for
 * forwarded traffic (429 RATE_LIMITED with Retry-After), a cap on requests in flight per app
 * (503 UPSTREAM_BUSY), and timeouts on upstreams (504 UPSTREAM_TIMEOUT) for a reply that never
 * comes and for a connection that is never made.
 */
import { request } from "node:http";
import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { InvalidOptionsError } from "../../src/errors.js";
import { Gateway } from "../../src/gateway/gateway.js";
import type { GatewayOptions } from "../../src/gateway/gateway.js";
import type { ResolvedAddress } from "../../src/gateway/upstream/guard.js";
import { expectThrows } from "../helpers/expect-error.js";
import { startGateway, waitFor } from "../helpers/fixtures.js";
import type { Running } from "../helpers/fixtures.js";
import { mirror, plainRoutes, startPlainApp } from "../helpers/plain-app.js";
import type { PlainApp } from "../helpers/plain-app.js";
import { rawRequest } from "../helpers/raw-http.js";
import type { RawReply } from "../helpers/raw-http.js";

function code(reply: RawReply): [number, string | undefined] {
  const json = String(reply.headers["content-type"] ?? "").includes("json");
  const body = json ? (reply.json() as { error?: { code?: string } }) : undefined;
  return [reply.status, body?.error?.code];
}

function post(gw: { url: string }, path: string, localAddress?: string): Promise<RawReply> {
  if (localAddress === undefined)
    return rawRequest(`${gw.url}${path}`, { method: "POST", body: "" });
  return new Promise((resolve, reject) => {
    const req = request(`${gw.url}${path}`, { method: "POST", localAddress, agent: false });
    req.once("error", reject);
    req.once("response", (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.once("end", () => {
        const body = Buffer.concat(chunks);
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body,
          json: () => JSON.parse(body.toString("utf8")),
        });
      });
    });
    req.end();
  });
}

/** A gateway with `apps` registered in-process (no request spent), and the apps. */
async function gatewayWith(
  options: GatewayOptions,
  apps: Record<string, PlainApp>,
): Promise<Running<Gateway>> {
  const gw = await startGateway(options);
  for (const [name, app] of Object.entries(apps)) await gw.service.registerApp(name, app.url);
  for (const app of Object.values(apps)) app.received.length = 0;
  return gw;
}

function expectRateLimited(reply: RawReply): void {
  expect(code(reply)).toEqual([429, "RATE_LIMITED"]);
  const retryAfter = Number(reply.headers["retry-after"]);
  expect(Number.isInteger(retryAfter) && retryAfter >= 1).toBe(true);
}

describe("the rate limit", () => {
  it("is one limiter for forwarded paths and gateway routes: the 6th request gets 429", async () => {
    await using app = await startPlainApp();
    await using gw = await gatewayWith({ rateLimit: { max: 5, windowMs: 60_000 } }, { api: app });
    const allowed = [
      await post(gw, "/api/a"),
      await post(gw, "/status"),
      await post(gw, "/api/b"),
      await post(gw, "/list_apps"),
      await post(gw, "/api/c"),
    ];
    expect(allowed.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expectRateLimited(await post(gw, "/api/d"));
    expectRateLimited(await post(gw, "/status"));
    expectRateLimited(await post(gw, "/list_apps"));
    expectRateLimited(await post(gw, "/unknown/x"));
    expectRateLimited(await post(gw, "/unregister_app"));
    expect(app.received.map((r) => r.url)).toEqual(["/a", "/b", "/c"]);
  });

  it("counts gateway routes first and then refuses forwarded paths alike", async () => {
    await using app = await startPlainApp();
    await using gw = await gatewayWith({ rateLimit: { max: 5, windowMs: 60_000 } }, { api: app });
    for (let i = 0; i < 5; i++) expect((await post(gw, "/heartbeat")).status).toBe(200);
    expectRateLimited(await post(gw, "/api/x"));
    expect(app.received).toEqual([]);
  });

  it("keeps one bucket per client address", async () => {
    await using app = await startPlainApp();
    await using gw = await gatewayWith({ rateLimit: { max: 2, windowMs: 60_000 } }, { api: app });
    for (let i = 0; i < 2; i++) expect((await post(gw, "/api/x", "127.0.0.1")).status).toBe(200);
    expectRateLimited(await post(gw, "/api/x", "127.0.0.1"));
    // Another loopback address is another client (Linux routes all of 127/8 to lo).
    expect((await post(gw, "/api/x", "127.0.0.2")).status).toBe(200);
    expect((await post(gw, "/status", "127.0.0.2")).status).toBe(200);
    expectRateLimited(await post(gw, "/status", "127.0.0.2"));
  });

  it("refuses a limit that allows nothing", () => {
    for (const rateLimit of [
      { max: 0 },
      { max: -1 },
      { max: Number.NaN },
      { max: 5, windowMs: 0 },
    ]) {
      expectThrows(() => new Gateway({ rateLimit }), InvalidOptionsError, "INVALID_OPTIONS");
    }
  });
});

/** A plain app that holds every request to /hold until `release()`; others are mirrored. */
async function startHoldingApp(): Promise<PlainApp & { held: number; release(): void }> {
  const waiting: ServerResponse[] = [];
  const app = await startPlainApp((req, res) => {
    if (req.url !== "/hold") return mirror(req, res);
    waiting.push(res);
  });
  // defineProperty, not Object.assign: assign would copy the getter's value once.
  Object.defineProperty(app, "held", {
    get: () => waiting.filter((res) => !res.writableEnded && !res.destroyed).length,
  });
  return Object.assign(app as PlainApp & { held: number }, {
    release(): void {
      for (const res of waiting.splice(0)) {
        if (!res.destroyed) res.end("released");
      }
    },
  });
}

describe("the in-flight cap per app", () => {
  it("answers 503 UPSTREAM_BUSY past the cap, and recovers once the held requests finish", async () => {
    await using slow = await startHoldingApp();
    await using other = await startPlainApp();
    await using gw = await gatewayWith({ maxInFlightPerApp: 2 }, { slow, other });
    for (let round = 0; round < 2; round++) {
      const first = post(gw, "/slow/hold");
      const second = post(gw, "/slow/hold");
      try {
        expect(await waitFor(() => slow.held === 2, 10_000)).toBe(true);
        expect(code(await post(gw, "/slow/x"))).toEqual([503, "UPSTREAM_BUSY"]);
        expect(code(await post(gw, "/slow/hold"))).toEqual([503, "UPSTREAM_BUSY"]);
        // The cap is per app: another app is served meanwhile.
        expect((await post(gw, "/other/x")).status).toBe(200);
      } finally {
        slow.release();
      }
      expect((await Promise.all([first, second])).map((r) => r.status)).toEqual([200, 200]);
      // Each round starts from zero: the finished requests gave their slots back.
      for (let i = 0; i < 3; i++) expect((await post(gw, "/slow/x")).status).toBe(200);
    }
  });

  it("frees the slot of a caller that goes away", async () => {
    await using slow = await startHoldingApp();
    await using gw = await gatewayWith({ maxInFlightPerApp: 1 }, { slow });
    const controller = new AbortController();
    const leaving = new Promise<string>((resolve) => {
      const req = request(`${gw.url}/slow/hold`, {
        method: "POST",
        agent: false,
        signal: controller.signal,
      });
      req.once("error", () => resolve("left"));
      req.once("response", (res) => resolve(`answered ${res.statusCode}`));
      req.end();
    });
    expect(await waitFor(() => slow.held === 1, 10_000)).toBe(true);
    // Only one slot: a second request is refused at once.
    expect(code(await post(gw, "/slow/hold"))).toEqual([503, "UPSTREAM_BUSY"]);
    controller.abort();
    expect(await leaving).toBe("left");
    // The gateway notices the caller left, cancels the upstream request and frees the slot.
    expect(await waitFor(() => slow.held === 0, 10_000)).toBe(true);
    const next = post(gw, "/slow/hold");
    try {
      expect(await waitFor(() => slow.held === 1, 10_000)).toBe(true);
    } finally {
      slow.release();
    }
    expect((await next).status).toBe(200);
  });
});

describe("timeouts on upstreams", () => {
  it("answers 504 UPSTREAM_TIMEOUT when an app never sends its reply headers", async () => {
    await using app = await startPlainApp(plainRoutes);
    await using gw = await gatewayWith({ upstreamTimeout: 500 }, { api: app });
    const reply = await rawRequest(`${gw.url}/api/hang`, { method: "POST", body: "" });
    expect(code(reply)).toEqual([504, "UPSTREAM_TIMEOUT"]);
    // The gateway gave up on that connection: the app sees it closed.
    expect(await waitFor(() => app.abandoned === 1, 10_000)).toBe(true);
    expect((await post(gw, "/api/x")).status).toBe(200);
  });

  it("answers 504 UPSTREAM_TIMEOUT when a connection cannot be made in time", async () => {
    // No loopback address drops SYNs, but the connect deadline covers the name lookup too: a
    // resolver that stops answering once the app is registered holds the connection attempt.
    await using app = await startPlainApp();
    let stalled = false;
    const pending: ((error: Error) => void)[] = [];
    const resolver = (): Promise<ResolvedAddress[]> =>
      stalled
        ? new Promise((_resolve, reject) => pending.push(reject))
        : Promise.resolve([{ address: "127.0.0.1", family: 4 }]);
    await using gw = await startGateway({ connectTimeout: 500, resolver });
    try {
      await gw.service.registerApp("api", `http://stalled.test:${new URL(app.url).port}`);
      stalled = true;
      const reply = await rawRequest(`${gw.url}/api/x`, { method: "POST", body: "" });
      expect(code(reply)).toEqual([504, "UPSTREAM_TIMEOUT"]);
      expect(pending.length).toBeGreaterThanOrEqual(1);
      expect(app.received.filter((r) => r.url === "/x")).toEqual([]);
      stalled = false;
      expect((await post(gw, "/api/x")).status).toBe(200);
    } finally {
      for (const reject of pending.splice(0)) reject(new Error("test over"));
    }
  });
});
