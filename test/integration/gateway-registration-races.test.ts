import { describe, expect, it } from "vitest";
import { waitFor } from "../helpers/fixtures.js";
import { startGatewayStack } from "../helpers/gateway-stack.js";
import type { GatewayStack } from "../helpers/gateway-stack.js";
import { mirror, startPlainApp } from "../helpers/plain-app.js";
import type { PlainApp } from "../helpers/plain-app.js";
import { rawRequest } from "../helpers/raw-http.js";

/** A plain app whose detailed_endpoints never answers, so its registration stays in discovery. */
const startStuckApp = () =>
  startPlainApp((req, res) => {
    if (req.url !== "/detailed_endpoints") mirror(req, res);
  });

const discovering = (app: PlainApp) =>
  waitFor(() => app.received.some((r) => r.url === "/detailed_endpoints"));

/** Where the gateway says `svc` is, and which app a forwarded request actually reached. */
async function observe(stack: GatewayStack, apps: PlainApp[]) {
  const listed = (await stack.gw.listAppsWithSchemas()).find((a) => a.name === "svc")?.url;
  const counts = apps.map((a) => a.received.length);
  const reply = await rawRequest(`${stack.gateway.url}/svc/probe`);
  const reached = apps.find((a, i) => a.received.length > counts[i]!)?.url;
  return { listed, reached, status: reply.status };
}

describe("registrations racing on one name", () => {
  it("a later registration wins over an earlier one still discovering", async () => {
    await using stack = await startGatewayStack({ discoveryTimeout: 1_000 });
    await using stuck = await startStuckApp();
    await using quick = await startPlainApp();
    const earlier = stack.gw.registerApp("svc", stuck.url);
    expect(await discovering(stuck)).toBe(true);
    await stack.gw.registerApp("svc", quick.url);
    await earlier;
    expect(await observe(stack, [stuck, quick])).toEqual({
      listed: quick.url,
      reached: quick.url,
      status: 200,
    });
  });

  it("an unregistration during a re-registration's discovery leaves nothing half-registered", async () => {
    await using stack = await startGatewayStack({ discoveryTimeout: 1_000 });
    await using stuck = await startStuckApp();
    await using first = await startPlainApp();
    await stack.gw.registerApp("svc", first.url);
    const again = stack.gw.registerApp("svc", stuck.url);
    expect(await discovering(stuck)).toBe(true);
    await stack.gw.unregisterApp("svc");
    await again;
    expect(await observe(stack, [stuck, first])).toEqual({
      listed: undefined,
      reached: undefined,
      status: 404,
    });
    expect(await stack.gw.listApps()).toEqual([]);
  });
});
