/**
 * Request ids: kept from `X-Request-Id` when sane, made otherwise, echoed in every reply, the
 * `reqId` of the log lines, and passed on by the gateway so the app logs the same id.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Gateway } from "../../src/gateway/gateway.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { serveOn } from "../helpers/fixtures.js";
import type { Running } from "../helpers/fixtures.js";
import { captureLogs } from "../helpers/log-capture.js";
import type { LogCapture } from "../helpers/log-capture.js";
import { startPlainApp } from "../helpers/plain-app.js";
import type { PlainApp } from "../helpers/plain-app.js";
import { postJson, rawRequest } from "../helpers/raw-http.js";

const MADE_ID = /^[0-9a-f]{10}-[0-9a-z]+$/;

describe("request ids", () => {
  let appLogs: LogCapture;
  let gatewayLogs: LogCapture;
  let echo: Running<EchoService>;
  let gateway: Running<Gateway>;
  let plain: PlainApp;

  beforeAll(async () => {
    appLogs = captureLogs();
    gatewayLogs = captureLogs();
    echo = await serveOn(new EchoService({ logger: appLogs.logger() }));
    gateway = await serveOn(new Gateway({ logger: gatewayLogs.logger() }));
    plain = await startPlainApp();
    await gateway.service.registerApp("echoer", echo.url);
    await gateway.service.registerApp("plain", plain.url);
  });
  afterAll(async () => {
    await gateway?.close();
    await echo?.close();
    await plain?.close();
  });

  function echoCall(base: string, id?: string): ReturnType<typeof rawRequest> {
    return rawRequest(`${base}/echo`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(id ? { "x-request-id": id } : {}) },
      body: JSON.stringify({ message: "hi" }),
    });
  }

  it("a service keeps a sane id, echoes it and logs its request under it", async () => {
    const reply = await echoCall(echo.url, "client-42:a.b_c");
    expect(reply.status).toBe(200);
    expect(reply.headers["x-request-id"]).toBe("client-42:a.b_c");
    const line = appLogs.withMsg("request").find((l) => l.reqId === "client-42:a.b_c");
    expect(line).toMatchObject({ method: "POST", path: "/echo", status: 200 });
  });

  it("a service makes an id when there is none, and replaces one that is not sane", async () => {
    const none = await echoCall(echo.url);
    expect(none.headers["x-request-id"]).toMatch(MADE_ID);
    for (const bad of ["has space", "x".repeat(129), 'quote"d', "semi;colon"]) {
      const reply = await echoCall(echo.url, bad);
      expect(reply.headers["x-request-id"], bad).toMatch(MADE_ID);
    }
    const again = await echoCall(echo.url);
    expect(again.headers["x-request-id"]).not.toBe(none.headers["x-request-id"]);
  });

  it("error replies carry the id too (fastify's and the raw ones)", async () => {
    const notFound = await rawRequest(`${echo.url}/nope`, { headers: { "x-request-id": "e1" } });
    expect(notFound.status).toBe(404);
    expect(notFound.headers["x-request-id"]).toBe("e1");
    const unknownApp = await rawRequest(`${gateway.url}/ghost/echo`, {
      headers: { "x-request-id": "e2" },
    });
    expect(unknownApp.status).toBe(404);
    expect(unknownApp.headers["x-request-id"]).toBe("e2");
    const invalid = await postJson(`${echo.url}/echo`, { nope: 1 });
    expect(invalid.status).toBe(422);
    expect(invalid.headers["x-request-id"]).toMatch(MADE_ID);
  });

  it("the gateway passes the id to the app, which logs and echoes the same one", async () => {
    const reply = await echoCall(`${gateway.url}/echoer`, "through-7");
    expect(reply.status).toBe(200);
    expect(reply.headers["x-request-id"]).toBe("through-7");
    expect(appLogs.withMsg("request").some((l) => l.reqId === "through-7")).toBe(true);
    expect(gatewayLogs.withMsg("forwarded").some((l) => l.reqId === "through-7")).toBe(true);
  });

  it("the gateway makes an id for a request without one (or with a bad one) and sends it on", async () => {
    for (const given of [undefined, "bad id"]) {
      const reply = await rawRequest(`${gateway.url}/plain/mirror`, {
        headers: given === undefined ? {} : { "x-request-id": given },
      });
      expect(reply.status).toBe(200);
      const id = reply.headers["x-request-id"];
      expect(id).toMatch(MADE_ID);
      expect(plain.received.at(-1)!.headers["x-request-id"]).toBe(id);
    }
  });

  it("the reply names the caller's id even when the app answers with one of its own", async () => {
    await using other = await startPlainApp((_req, res) => {
      res.writeHead(200, { "x-request-id": "app-made", "content-length": "0" }).end();
    });
    await gateway.service.registerApp("own-id", other.url);
    const reply = await rawRequest(`${gateway.url}/own-id/x`, {
      headers: { "x-request-id": "c1" },
    });
    expect(reply.headers["x-request-id"]).toBe("c1");
    expect(other.received.at(-1)!.headers["x-request-id"]).toBe("c1");
  });
});
