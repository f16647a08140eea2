import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/fixtures.js";
import { startGatewayStack } from "../helpers/gateway-stack.js";
import type { GatewayStack } from "../helpers/gateway-stack.js";
import { LARGE_BODY, plainRoutes, startPlainApp } from "../helpers/plain-app.js";
import type { PlainApp } from "../helpers/plain-app.js";
import { rawRequest, sha256 } from "../helpers/raw-http.js";

const MB = 1024 * 1024;

describe("large bodies through the gateway", () => {
  let stack: GatewayStack;
  let app: PlainApp;
  let releaseDrip: () => void;
  const dripReleased = new Promise<void>((resolve) => (releaseDrip = resolve));

  beforeAll(async () => {
    stack = await startGatewayStack();
    app = await startPlainApp((req, res) => {
      if (req.url !== "/drip") return plainRoutes(req, res);
      // Half the reply now, the rest only once the test has seen the first half arrive.
      res.writeHead(200, { "content-type": "application/octet-stream" });
      res.write(LARGE_BODY.subarray(0, MB));
      void dripReleased.then(() => res.end(LARGE_BODY.subarray(MB, 2 * MB)));
    });
    await stack.gw.registerApp("files", app.url);
  });
  afterAll(async () => {
    releaseDrip();
    await stack?.[Symbol.asyncDispose]();
    await app?.close();
  });

  it("delivers a 5 MB reply intact", async () => {
    const reply = await rawRequest(`${stack.gateway.url}/files/large`);
    expect(reply.status).toBe(200);
    expect(reply.body.length).toBe(LARGE_BODY.length);
    expect(sha256(reply.body)).toBe(sha256(LARGE_BODY));
  });

  it.each([
    ["with a Content-Length", {}],
    ["chunked", { "transfer-encoding": "chunked" }],
  ])("delivers a 5 MB request body intact, %s", async (_label, headers) => {
    const reply = await rawRequest(`${stack.gateway.url}/files/upload`, {
      method: "POST",
      headers: { "content-type": "application/octet-stream", ...headers },
      body: LARGE_BODY,
    });
    expect(reply.status).toBe(200);
    expect(reply.json()).toMatchObject({
      bodyLength: LARGE_BODY.length,
      bodySha256: sha256(LARGE_BODY),
    });
  });

  it("streams a reply: the first bytes arrive before the app has finished it", async () => {
    let arrived = 0;
    const done = new Promise<Buffer>((resolve, reject) => {
      const req = request(`${stack.gateway.url}/files/drip`, { agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => {
          arrived += chunk.length;
          chunks.push(chunk);
        });
        res.once("end", () => resolve(Buffer.concat(chunks)));
      });
      req.once("error", reject);
      req.end();
    });
    expect(await waitFor(() => arrived > 0)).toBe(true);
    releaseDrip();
    expect(sha256(await done)).toBe(sha256(LARGE_BODY.subarray(0, 2 * MB)));
  });

  it("streams a request: the app receives bytes before the client has sent them all", async () => {
    const before = app.bytesArrived;
    const req = request(`${stack.gateway.url}/files/upload`, {
      method: "POST",
      agent: false,
      headers: { "content-type": "application/octet-stream", "content-length": 2 * MB },
    });
    const reply = new Promise<Buffer>((resolve, reject) => {
      req.once("error", reject);
      req.once("response", (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.once("end", () => resolve(Buffer.concat(chunks)));
      });
    });
    req.write(LARGE_BODY.subarray(0, MB));
    expect(await waitFor(() => app.bytesArrived > before)).toBe(true);
    req.end(LARGE_BODY.subarray(MB, 2 * MB));
    const seen = JSON.parse((await reply).toString("utf8"));
    expect(seen.bodySha256).toBe(sha256(LARGE_BODY.subarray(0, 2 * MB)));
  });
});
