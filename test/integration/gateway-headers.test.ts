import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Gateway } from "../../src/gateway/gateway.js";
import { serveOn } from "../helpers/fixtures.js";
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

  it("replaces what a client says about earlier hops, and adds X-Forwarded-Proto and Via", async () => {
    await rawRequest(`${stack.gateway.url}/plain/xff`, {
      headers: {
        "x-forwarded-for": "203.0.113.7",
        "x-forwarded-proto": "https",
        "x-forwarded-host": "evil.example",
        forwarded: "for=203.0.113.7;proto=https",
        "x-real-ip": "203.0.113.7",
      },
    });
    const seen = app.received.at(-1)!.headers;
    expect(seen["x-forwarded-for"]).toBe("127.0.0.1");
    expect(seen["x-forwarded-proto"]).toBe("http");
    expect(seen["x-forwarded-host"]).toBe(new URL(stack.gateway.url).host);
    expect(seen).not.toHaveProperty("forwarded");
    expect(seen).not.toHaveProperty("x-real-ip");
    expect(seen.via).toMatch(/^1\.1 portico-[0-9a-f]{12}$/);
  });

  it("appends to X-Forwarded-For and keeps the proto and host of a trusted proxy", async () => {
    await using trusting = await startGatewayStack({ trustProxy: ["127.0.0.1/32"] });
    await trusting.gw.registerApp("plain", app.url);
    await rawRequest(`${trusting.gateway.url}/plain/xff`, {
      headers: {
        "x-forwarded-for": "203.0.113.7",
        "x-forwarded-proto": "https",
        "x-forwarded-host": "api.example",
        "x-real-ip": "203.0.113.7",
        via: "1.1 edge",
      },
    });
    const seen = app.received.at(-1)!.headers;
    expect(seen["x-forwarded-for"]).toBe("203.0.113.7, 127.0.0.1");
    expect(seen["x-forwarded-proto"]).toBe("https");
    expect(seen["x-forwarded-host"]).toBe("api.example");
    expect(seen["x-real-ip"]).toBe("203.0.113.7");
    expect(seen.via).toMatch(/^1\.1 edge, 1\.1 portico-/);
  });

  it("keeps its own tokens to itself: no app ever sees them", async () => {
    await using gateway = await serveOn(
      new Gateway({ adminToken: "admin-t", callToken: "call-t" }),
    );
    await rawRequest(`${gateway.url}/register_app`, {
      method: "POST",
      headers: { authorization: "Bearer admin-t", "content-type": "application/json" },
      body: JSON.stringify({ name: "plain", url: app.url }),
    });
    for (const token of ["call-t", "admin-t"]) {
      const reply = await rawRequest(`${gateway.url}/plain/own`, {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(reply.status).toBe(200);
      expect(app.received.at(-1)!.headers).not.toHaveProperty("authorization");
    }
    await using adminOnly = await serveOn(new Gateway({ adminToken: "admin-only" }));
    await rawRequest(`${adminOnly.url}/register_app`, {
      method: "POST",
      headers: { authorization: "Bearer admin-only", "content-type": "application/json" },
      body: JSON.stringify({ name: "plain", url: app.url }),
    });
    const open = await rawRequest(`${adminOnly.url}/plain/own`, {
      headers: { authorization: "Bearer admin-only" },
    });
    expect(open.status).toBe(200);
    expect(app.received.at(-1)!.headers).not.toHaveProperty("authorization");
    const denied = await rawRequest(`${gateway.url}/plain/other`, {
      headers: { authorization: "Bearer app-token" },
    });
    expect(denied.json().error.code).toBe("FORBIDDEN");
  });

  it("strips hop-by-hop response headers, those named by Connection included, and Service-Worker-Allowed", async () => {
    const reply = await rawRequest(`${stack.gateway.url}/plain/hop-by-hop`);
    expect(reply.status).toBe(200);
    expect(reply.headers["x-visible"]).toBe("yes");
    expect(reply.headers).not.toHaveProperty("x-upstream-secret");
    // An app's service worker must not take the gateway's whole origin (its /console included).
    expect(reply.headers).not.toHaveProperty("service-worker-allowed");
    expect(reply.headers["keep-alive"]).not.toBe("timeout=5");
  });

  it("caps the scope of a service worker script fetched through it at the app's path", async () => {
    for (const path of ["/plain/hop-by-hop", "/plain", "/plain?sw", "/plain/a/b?x=/c"]) {
      const reply = await rawRequest(`${stack.gateway.url}${path}`, {
        headers: { "service-worker": "script" },
      });
      expect(reply.headers["service-worker-allowed"], path).toBe("/plain/");
    }
  });
});
