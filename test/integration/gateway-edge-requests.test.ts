/**
 * Requests at the edges of HTTP that a gateway must still handle: `Expect: 100-continue` (curl
 * sends it for bodies over 1 KB), a GET with a body, dot segments that would climb out of the
 * app's base path, and a URL fastify cannot decode. Every error is JSON with a code.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGatewayStack } from "../helpers/gateway-stack.js";
import type { GatewayStack } from "../helpers/gateway-stack.js";
import { mirror, startPlainApp } from "../helpers/plain-app.js";
import type { MirrorReply, PlainApp } from "../helpers/plain-app.js";
import { rawRequest } from "../helpers/raw-http.js";

describe("edge requests through the gateway", () => {
  let stack: GatewayStack;
  let app: PlainApp;

  beforeAll(async () => {
    stack = await startGatewayStack();
    app = await startPlainApp(mirror);
    await stack.gw.registerApp("raw", `${app.url}/api`);
  });
  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
    await app?.close();
  });

  it("forwards a body sent with Expect: 100-continue, without the Expect header", async () => {
    const body = "x".repeat(4096);
    const reply = await rawRequest(`${stack.gateway.url}/raw/upload`, {
      method: "POST",
      headers: { expect: "100-continue", "content-type": "text/plain" },
      body,
    });
    expect(reply.status).toBe(200);
    const seen = reply.json() as MirrorReply;
    expect(seen.bodyLength).toBe(body.length);
    expect(seen.headers.expect).toBeUndefined();
  });

  it("forwards the body of a GET", async () => {
    const reply = await rawRequest(`${stack.gateway.url}/raw/search`, {
      headers: { "content-type": "application/json" },
      body: '{"q":"x"}',
    });
    const seen = reply.json() as MirrorReply;
    expect(seen).toMatchObject({ method: "GET", url: "/api/search", body: '{"q":"x"}' });
  });

  it.each([
    "/raw/../admin",
    "/raw/%2e%2e/admin",
    "/raw/a/./b",
    "/raw/..?x=1",
    "/raw/..;x/admin",
    "/raw/%252e%252e/admin",
    "/raw/..%00",
    "/raw/%252f/x",
  ])("refuses %s with 400 BAD_REQUEST and sends nothing upstream", async (path) => {
    const before = app.received.length;
    const reply = await rawRequest(stack.gateway.url, { path });
    expect(reply.status).toBe(400);
    expect(reply.json().error.code).toBe("BAD_REQUEST");
    expect(app.received.length).toBe(before);
  });

  it("answers a URL it cannot decode with a JSON error, and stays up", async () => {
    const reply = await rawRequest(`${stack.gateway.url}/status%E0%A4%A`);
    expect(reply.status).toBe(400);
    expect(reply.json().error.code).toBe("BAD_REQUEST");
    expect((await stack.gw.status()).status).toBe("Available");
  });
});
