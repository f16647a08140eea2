/**
 * Structured log lines: one debug line per forwarded request and per request a service answers
 * (fastify's own per-request info lines are off), a warn line per error reply, and the options
 * that turn logs on (`logger`, `logLevel`, `$PORTICO_LOG_LEVEL`) with clear errors for bad levels.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Gateway } from "../../src/gateway/gateway.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { serveOn } from "../helpers/fixtures.js";
import type { Running } from "../helpers/fixtures.js";
import { LEVEL, captureLogs } from "../helpers/log-capture.js";
import type { LogCapture } from "../helpers/log-capture.js";
import { deadUrl, startLoggedGateway } from "../helpers/observe.js";
import type { LoggedGateway } from "../helpers/observe.js";
import { sendJson, startPlainApp } from "../helpers/plain-app.js";
import type { PlainApp } from "../helpers/plain-app.js";
import { rawRequest } from "../helpers/raw-http.js";
import { expectThrows } from "../helpers/expect-error.js";
import { isolateEnv } from "../helpers/env.js";
import { InvalidOptionsError } from "../../src/errors.js";

const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

describe("forwarded request lines", () => {
  let stack: LoggedGateway | undefined;
  let logs: LogCapture;
  let gateway: Running<Gateway>;
  let plain: PlainApp;

  beforeAll(async () => {
    stack = await startLoggedGateway((req, res) => {
      if (req.url.startsWith("/boom")) return sendJson(res, 500, { error: "boom" });
      sendJson(res, 200, { ok: true });
    });
    ({ logs, gateway, plain } = stack);
  });
  afterAll(() => stack?.close());

  it("logs one debug line per forwarded request with its app, status, timing and ids", async () => {
    const reply = await rawRequest(`${gateway.url}/plain/items/7?secret=1`, {
      headers: { "x-request-id": "fw-1", traceparent: TRACEPARENT },
    });
    expect(reply.status).toBe(200);
    const lines = logs.lines.filter((l) => l.reqId === "fw-1");
    expect(lines).toHaveLength(1);
    const upstream = String(plain.received.at(-1)!.headers.traceparent);
    expect(lines[0]).toMatchObject({
      level: LEVEL.debug,
      msg: "forwarded",
      app: "plain",
      method: "GET",
      path: "/plain/items/7", // never the query string: it may hold secrets
      status: 200,
      traceId: "0af7651916cd43dd8448eb211c80319c",
      spanId: upstream.slice(36, 52),
    });
    expect(lines[0]!.durationMs).toEqual(expect.any(Number));
    // fastify's own per-request lines are off.
    expect(
      logs.lines.some((l) => l.msg === "incoming request" || l.msg === "request completed"),
    ).toBe(false);
  });

  it("logs an app's 5xx reply at warn level", async () => {
    const reply = await rawRequest(`${gateway.url}/plain/boom`, {
      headers: { "x-request-id": "fw-2" },
    });
    expect(reply.status).toBe(500);
    const line = logs.lines.find((l) => l.reqId === "fw-2");
    expect(line).toMatchObject({ level: LEVEL.warn, app: "plain", status: 500 });
    expect(line).not.toHaveProperty("code");
  });

  it("logs the gateway's own error reply (502, 503) at warn level with its code", async () => {
    await gateway.service.registerApp("gone", await deadUrl());
    const first = await rawRequest(`${gateway.url}/gone/x`, {
      headers: { "x-request-id": "fw-3" },
    });
    expect(first.status).toBe(502);
    expect(logs.lines.find((l) => l.reqId === "fw-3")).toMatchObject({
      level: LEVEL.warn,
      msg: "gateway error",
      code: "UPSTREAM_UNREACHABLE",
      status: 502,
      app: "gone",
    });
    // Ejected after failing: the next calls find no healthy instance.
    let last = first;
    for (let i = 0; i < 5 && last.status !== 503; i++) {
      last = await rawRequest(`${gateway.url}/gone/x`, {
        headers: { "x-request-id": `fw-4-${i}` },
      });
    }
    expect(last.status).toBe(503);
    const id = String(last.headers["x-request-id"]);
    expect(logs.lines.find((l) => l.reqId === id)).toMatchObject({
      level: LEVEL.warn,
      code: "NO_HEALTHY_INSTANCE",
      status: 503,
    });
  });
});

describe("levels", () => {
  isolateEnv(["PORTICO_LOG_LEVEL"]);

  it("a gateway at warn level logs error replies only", async () => {
    const logs = captureLogs();
    await using echo = await serveOn(new EchoService({ logger: logs.logger("debug") }));
    await using gateway = await serveOn(new Gateway({ logger: logs.logger("warn") }));
    await using plain = await startPlainApp((_req, res) => sendJson(res, 503, {}));
    await gateway.service.registerApp("echoer", echo.url);
    await gateway.service.registerApp("busy", plain.url);
    await rawRequest(`${gateway.url}/echoer/status`, { headers: { "x-request-id": "lv-1" } });
    await rawRequest(`${gateway.url}/busy/x`, { headers: { "x-request-id": "lv-2" } });
    // The service (debug) logged its request line; the gateway (warn) only the 503.
    expect(logs.lines.filter((l) => l.reqId === "lv-1").map((l) => l.msg)).toEqual(["request"]);
    expect(logs.lines.filter((l) => l.reqId === "lv-2")).toMatchObject([
      { level: LEVEL.warn, status: 503 },
    ]);
  });

  it("a service logs one debug line per request, with the caller's trace", async () => {
    const logs = captureLogs();
    await using echo = await serveOn(new EchoService({ logger: logs.logger("debug") }));
    await rawRequest(`${echo.url}/status`, {
      headers: { traceparent: TRACEPARENT, "x-request-id": "s-1" },
    });
    expect(logs.lines.filter((l) => l.reqId === "s-1")).toMatchObject([
      {
        level: LEVEL.debug,
        msg: "request",
        method: "GET",
        path: "/status",
        status: 200,
        traceId: "0af7651916cd43dd8448eb211c80319c",
        parentId: "b7ad6b7169203331",
      },
    ]);
  });

  it("never logs tokens: no Authorization header, no query string, at any level", async () => {
    const logs = captureLogs();
    const tokens = { callToken: "call-s3cret-7", adminToken: "adm-s3cret-9" };
    await using echo = await serveOn(new EchoService({ ...tokens, logger: logs.logger("trace") }));
    const gatewayOptions = { ...tokens, logger: logs.logger("trace") };
    await using gateway = await serveOn(new Gateway(gatewayOptions));
    await using down = await startPlainApp((_req, res) => sendJson(res, 500, {}));
    await gateway.service.registerApp("echoer", echo.url);
    await gateway.service.registerApp("down", down.url);
    const headers = (token: string) => ({ authorization: `Bearer ${token}` });
    for (const base of [echo.url, `${gateway.url}/echoer`, `${gateway.url}/down`]) {
      await rawRequest(`${base}/status?key=q-s3cret-1`, { headers: headers(tokens.callToken) });
      await rawRequest(`${base}/echo?key=q-s3cret-2`, { headers: headers("wrong-s3cret-3") });
      await rawRequest(`${base}/shutdown?key=q-s3cret-4`, { headers: headers(tokens.callToken) });
    }
    expect(logs.lines.length).toBeGreaterThan(0);
    expect(JSON.stringify(logs.lines)).not.toMatch(/s3cret/);
  });

  it("info level stays quiet per request", async () => {
    const logs = captureLogs();
    await using echo = await serveOn(new EchoService({ logger: logs.logger("info") }));
    await rawRequest(`${echo.url}/status`);
    await rawRequest(`${echo.url}/nope`);
    expect(logs.lines.map((l) => l.msg)).toEqual([expect.stringMatching(/^Server listening/)]);
  });

  it("logLevel turns the logger on at that level, over logger's own pino options", async () => {
    const logs = captureLogs();
    const options = { logger: logs.logger("fatal"), logLevel: "debug" as const };
    await using echo = await serveOn(new EchoService(options));
    await rawRequest(`${echo.url}/status`, { headers: { "x-request-id": "ll-1" } });
    expect(logs.lines.some((l) => l.reqId === "ll-1" && l.msg === "request")).toBe(true);
  });

  it("refuses a log level it does not know, from the options or $PORTICO_LOG_LEVEL", () => {
    const bad = { logLevel: "loud" as never };
    expectThrows(() => new EchoService(bad), InvalidOptionsError, "INVALID_OPTIONS");
    process.env.PORTICO_LOG_LEVEL = "verbose";
    expectThrows(() => new EchoService(), InvalidOptionsError, "INVALID_OPTIONS");
    // Explicit options win over the environment.
    expect(() => new EchoService({ logger: false })).not.toThrow();
    const both = { logger: { stream: { write: () => true }, file: 2 } };
    expectThrows(() => new EchoService(both), InvalidOptionsError, "INVALID_OPTIONS");
  });
});
