import { describe, expect, it } from "vitest";
import { findFreePort } from "../../src/launcher/ports.js";
import { waitFor } from "../helpers/fixtures.js";
import { startGatewayStack } from "../helpers/gateway-stack.js";
import { mirror, startPlainApp } from "../helpers/plain-app.js";
import { rawRequest } from "../helpers/raw-http.js";

describe("endpoint discovery at registration", () => {
  it("is bounded by discoveryTimeout and never blocks other requests", async () => {
    await using stack = await startGatewayStack({ discoveryTimeout: 1_000 });
    // Answers everything except detailed_endpoints, which it never answers.
    await using app = await startPlainApp((req, res) => {
      if (req.url !== "/detailed_endpoints") mirror(req, res);
    });
    let settled = false;
    const registration = stack.gw.registerApp("stuck", app.url).finally(() => (settled = true));
    expect(await waitFor(() => app.received.some((r) => r.url === "/detailed_endpoints"))).toBe(
      true,
    );

    // While discovery hangs, the gateway answers other requests.
    expect(await stack.gw.status()).toEqual({ status: "Available" });
    expect(await stack.gw.heartbeat()).toMatchObject({ heartbeat: { status: "Available" } });
    expect(settled).toBe(false);

    const info = await registration;
    expect(info).toMatchObject({ name: "stuck", url: app.url, endpoints: {}, discovered: false });
    expect(await stack.gw.listApps()).toEqual(["stuck"]);
    const forwarded = await rawRequest(`${stack.gateway.url}/stuck/still-forwarded`);
    expect(forwarded.json().url).toBe("/still-forwarded");
  });

  it("registers an app that is not running yet, with no endpoints", async () => {
    await using stack = await startGatewayStack({ discoveryTimeout: 1_000 });
    const url = `http://127.0.0.1:${await findFreePort()}`;
    const info = await stack.gw.registerApp("later", url);
    expect(info).toEqual({
      name: "later",
      url,
      endpoints: {},
      kind: "http",
      instances: [{ url, health: "healthy" }],
      discovered: false,
      revision: 1,
    });
  });

  it("gives no endpoints to an app whose detailed_endpoints is not a Portico reply", async () => {
    await using stack = await startGatewayStack();
    await using app = await startPlainApp();
    const info = await stack.gw.registerApp("plain", app.url);
    expect(info).toMatchObject({ endpoints: {}, discovered: false });
    // No Portico reply, no OpenAPI document at the usual place, no MCP server: plain HTTP.
    expect(app.received.map((r) => `${r.method} ${r.url}`)).toEqual([
      "POST /detailed_endpoints",
      "GET /openapi.json",
      "POST /mcp",
    ]);
  });
});
