import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGatewayStack } from "../helpers/gateway-stack.js";
import type { GatewayStack } from "../helpers/gateway-stack.js";
import { startPlainApp } from "../helpers/plain-app.js";
import type { PlainApp } from "../helpers/plain-app.js";
import { rawRequest } from "../helpers/raw-http.js";

describe("headers through the gateway", () => {
  let stack: GatewayStack;
  let app: PlainApp;

  beforeAll(async () => {
    stack = await startGatewayStack();
    app = await startPlainApp();
    await stack.gw.registerApp("plain", app.url);
  });
  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
    await app?.close();
  });

  it("strips hop-by-hop request headers, those named by Connection included", async () => {
    const gatewayHost = new URL(stack.gateway.url).host;
    await rawRequest(`${stack.gateway.url}/plain/headers`, {
      headers: {
        connection: "keep-alive, x-secret",
        "x-secret": "1",
        te: "trailers",
        "keep-alive": "timeout=5",
        "proxy-authorization": "Basic Zm9vOmJhcg==",
        "x-kept": "yes",
        authorization: "Bearer end-to-end",
      },
    });
    const seen = app.received.at(-1)!.headers;
    for (const name of ["x-secret", "te", "keep-alive", "proxy-authorization"]) {
      expect(seen, name).not.toHaveProperty(name);
    }
    expect(seen).toMatchObject({ "x-kept": "yes", authorization: "Bearer end-to-end" });
    expect(seen.host).toBe(new URL(app.url).host);
    expect(seen["x-forwarded-host"]).toBe(gatewayHost);
    expect(seen["x-forwarded-for"]).toBe("127.0.0.1");
  });

  it("appends to an existing X-Forwarded-For", async () => {
    await rawRequest(`${stack.gateway.url}/plain/xff`, {
      headers: { "x-forwarded-for": "203.0.113.7" },
    });
    expect(app.received.at(-1)!.headers["x-forwarded-for"]).toBe("203.0.113.7, 127.0.0.1");
  });

  it("strips hop-by-hop response headers, those named by Connection included", async () => {
    const reply = await rawRequest(`${stack.gateway.url}/plain/hop-by-hop`);
    expect(reply.status).toBe(200);
    expect(reply.headers["x-visible"]).toBe("yes");
    expect(reply.headers).not.toHaveProperty("x-upstream-secret");
    expect(reply.headers["keep-alive"]).not.toBe("timeout=5");
  });
});
