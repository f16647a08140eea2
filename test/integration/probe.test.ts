/**
 * The one status probe, against real servers: what it says about an Available service, a stopping
 * one, nothing listening, a foreign app, a hung one, an oversized reply, and an aborted probe.
 * Launch readiness, connect(), shutdown() and the gateway's health checks read these results.
 */
import { Pool } from "undici";
import { afterEach, describe, expect, it } from "vitest";
import { isDown, probeHeartbeat } from "../../src/client/probe.js";
import { startEcho } from "../helpers/fixtures.js";
import { deadUrl } from "../helpers/observe.js";
import { sendJson, startPlainApp } from "../helpers/plain-app.js";

const pools: Pool[] = [];
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.destroy()));
});

function poolOf(url: string): Pool {
  const pool = new Pool(url, { connections: 1 });
  pools.push(pool);
  return pool;
}

describe("probeHeartbeat", () => {
  it("is ok for an Available service, with its server id", async () => {
    await using echo = await startEcho();
    const found = await probeHeartbeat(poolOf(echo.url));
    expect(found).toEqual({
      ok: true,
      status: "Available",
      serverId: echo.service.id,
      httpStatus: 200,
    });
    expect(isDown(found)).toBe(false);
  });

  it("is not ok for a stopping service, saying its status (not down)", async () => {
    await using echo = await startEcho();
    await echo.service.close(); // Stopping, while its server still answers
    const found = await probeHeartbeat(poolOf(echo.url));
    expect(found).toMatchObject({ ok: false, status: "Stopping", serverId: echo.service.id });
    expect(found.error?.code).toBe("SERVICE_UNAVAILABLE");
    expect(isDown(found)).toBe(false);
  });

  it("is down when nothing listens", async () => {
    const found = await probeHeartbeat(poolOf(await deadUrl()));
    expect(found.ok).toBe(false);
    expect(found.httpStatus).toBeUndefined();
    expect(found.error?.code).toBe("SERVICE_UNAVAILABLE");
    expect(isDown(found)).toBe(true);
  });

  it("rebuilds the error a non-2xx reply carries", async () => {
    await using app = await startPlainApp((_req, res) =>
      sendJson(res, 404, { error: { code: "ENDPOINT_NOT_FOUND", message: "no" } }),
    );
    const found = await probeHeartbeat(poolOf(app.url));
    expect(found).toMatchObject({ ok: false, httpStatus: 404 });
    expect(found.error?.code).toBe("ENDPOINT_NOT_FOUND");
    expect(isDown(found)).toBe(false);
  });

  it("says RESPONSE_INVALID for a 2xx reply that is no heartbeat, or too large to read", async () => {
    await using app = await startPlainApp((req, res) =>
      req.url === "/big"
        ? sendJson(res, 200, { heartbeat: { status: "Available", server_id: "x".repeat(100) } })
        : sendJson(res, 200, { status: "Available" }),
    );
    const foreign = await probeHeartbeat(poolOf(app.url));
    expect(foreign).toMatchObject({ ok: false, httpStatus: 200 });
    expect(foreign.error?.code).toBe("RESPONSE_INVALID");
    const big = await probeHeartbeat(poolOf(app.url), { path: "/big", maxBytes: 64 });
    expect(big.error?.code).toBe("RESPONSE_INVALID");
  });

  it("times out (REQUEST_TIMEOUT) on a server that never answers, and can be aborted", async () => {
    await using app = await startPlainApp(() => undefined);
    const slow = await probeHeartbeat(poolOf(app.url), { timeout: 100 });
    expect(slow).toMatchObject({ ok: false });
    expect(slow.error?.code).toBe("REQUEST_TIMEOUT");
    const controller = new AbortController();
    const probing = probeHeartbeat(poolOf(app.url), { signal: controller.signal, timeout: 10_000 });
    controller.abort();
    expect((await probing).error?.code).toBe("REQUEST_ABORTED");
    controller.abort();
    const early = await probeHeartbeat(poolOf(app.url), { signal: controller.signal });
    expect(early.error?.code).toBe("REQUEST_ABORTED");
  });

  it("sends the path and headers it is given", async () => {
    await using app = await startPlainApp((req, res) =>
      sendJson(res, 200, {
        heartbeat: { status: "Available", server_id: `${req.url} ${req.headers.via}` },
      }),
    );
    const found = await probeHeartbeat(poolOf(app.url), {
      path: "/base/heartbeat",
      headers: { via: "1.1 portico-test" },
    });
    expect(found.serverId).toBe("/base/heartbeat 1.1 portico-test");
  });
});
