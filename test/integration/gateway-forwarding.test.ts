import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startGatewayStack } from "../helpers/gateway-stack.js";
import type { GatewayStack } from "../helpers/gateway-stack.js";
import { BINARY_BODY, startPlainApp } from "../helpers/plain-app.js";
import type { MirrorReply, PlainApp } from "../helpers/plain-app.js";
import { rawRequest } from "../helpers/raw-http.js";

describe("forwarding /<name>/<path>", () => {
  let stack: GatewayStack;
  let app: PlainApp;
  let at: (path: string) => string;

  beforeAll(async () => {
    stack = await startGatewayStack();
    app = await startPlainApp();
    await stack.gw.registerApp("plain", app.url);
    at = (path) => `${stack.gateway.url}/plain${path}`;
  });
  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
    await app?.close();
  });

  it.each(["GET", "POST", "PUT", "DELETE", "PATCH"])(
    "passes %s with its path, query string, headers and body",
    async (method) => {
      const body = method === "GET" ? undefined : JSON.stringify({ method, n: 1 });
      const reply = await rawRequest(at("/items/42?limit=5&tag=a%20b"), {
        method,
        headers: { "content-type": "application/json", "x-custom": "kept" },
        body,
      });
      expect(reply.status).toBe(200);
      const seen = reply.json() as MirrorReply;
      expect(seen).toMatchObject({ method, url: "/items/42?limit=5&tag=a%20b", body: body ?? "" });
      expect(seen.headers).toMatchObject({
        "content-type": "application/json",
        "x-custom": "kept",
      });
    },
  );

  it("forwards the bare app prefix to the app's root, query included", async () => {
    expect((await rawRequest(at(""))).json().url).toBe("/");
    expect((await rawRequest(at("?q=1"))).json().url).toBe("/?q=1");
    expect((await rawRequest(at("/"))).json().url).toBe("/");
  });

  it("passes the status and every response header, repeated ones included", async () => {
    const reply = await rawRequest(at("/teapot"));
    expect(reply.status).toBe(418);
    expect(reply.headers["x-upstream"]).toBe("teapot");
    expect(reply.headers["set-cookie"]).toEqual(["a=1", "b=2"]);
    expect(reply.body.toString()).toBe("short");
  });

  it.each([
    ["/text", "text/plain; charset=utf-8", Buffer.from("plain text")],
    ["/html", "text/html; charset=utf-8", Buffer.from("<p>html</p>")],
    ["/binary", "application/octet-stream", BINARY_BODY],
  ])("passes %s bodies byte for byte with their content type", async (path, type, bytes) => {
    const reply = await rawRequest(at(path));
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toBe(type);
    expect(reply.body.equals(bytes)).toBe(true);
  });

  it("passes an empty 204 reply", async () => {
    const reply = await rawRequest(at("/empty"), { method: "DELETE" });
    expect(reply.status).toBe(204);
    expect(reply.headers["x-empty"]).toBe("yes");
    expect(reply.body.length).toBe(0);
  });

  it("sends a binary request body unchanged", async () => {
    const reply = await rawRequest(at("/upload"), {
      method: "PUT",
      headers: { "content-type": "application/octet-stream" },
      body: BINARY_BODY,
    });
    expect(app.received.at(-1)?.body.equals(BINARY_BODY)).toBe(true);
    expect(reply.json().headers["content-type"]).toBe("application/octet-stream");
  });

  it("keeps the path of an app registered under a base path", async () => {
    await stack.gw.registerApp("based", `${app.url}/base/v1/`);
    const reply = await rawRequest(`${stack.gateway.url}/based/items?x=1`);
    expect(reply.json().url).toBe("/base/v1/items?x=1");
  });
});
