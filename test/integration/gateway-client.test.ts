import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AppNotRegisteredError } from "../../src/errors.js";
import type { AppInfo } from "../../src/index.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { startEcho } from "../helpers/fixtures.js";
import type { Running } from "../helpers/fixtures.js";
import { startGatewayStack } from "../helpers/gateway-stack.js";
import type { EchoTasks, GatewayStack } from "../helpers/gateway-stack.js";
import { startPlainApp } from "../helpers/plain-app.js";
import type { PlainApp } from "../helpers/plain-app.js";
import { postJson } from "../helpers/raw-http.js";
import { expectRejects } from "../helpers/expect-error.js";

/** Apps without what health checks rewrite at any time (state, last check, last error). */
function withoutHealth(apps: AppInfo[]): unknown[] {
  return apps.map((app) => ({
    ...app,
    instances: app.instances?.map(
      ({ health: _health, last_check: _check, last_error: _error, ...rest }) => rest,
    ),
  }));
}

describe("gateway client API", () => {
  let stack: GatewayStack<{ same: EchoTasks }>;
  let echo: Running<EchoService>;
  let plain: PlainApp;

  beforeAll(async () => {
    stack = await startGatewayStack();
    echo = await startEcho();
    plain = await startPlainApp();
  });
  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
    await echo?.close();
    await plain?.close();
  });

  it("registerApp(name, url, client?) registers and answers with what the gateway stored", async () => {
    await using echoClient = await EchoService.connect(echo.url);
    const info = await stack.gw.registerApp("typed", new URL(echo.url), echoClient);
    expect(info).toMatchObject({ name: "typed", url: echo.url, discovered: true });
    expect(Object.keys(info.endpoints)).toEqual(["echo"]);
    expect(await stack.gw.registerApp("bare", plain.url)).toMatchObject({ discovered: false });
    expect(await stack.gw.listApps()).toEqual(expect.arrayContaining(["typed", "bare"]));
  });

  it("registeredApps() is what the gateway knows, not what this client registered", async () => {
    await postJson(`${stack.gateway.url}/register_app`, { name: "viaHttp", url: echo.url });
    const other = await stack.connect();
    await other.registerApp("viaOther", plain.url);
    const apps = await stack.gw.registeredApps();
    expect(apps.map((a) => a.name)).toEqual(expect.arrayContaining(["viaHttp", "viaOther"]));
    expect(apps.find((a) => a.name === "viaHttp")).toMatchObject({ url: echo.url });
    // A health check may land between the two reads: compare what registration decides.
    expect(withoutHealth(await stack.gw.listAppsWithSchemas())).toEqual(withoutHealth(apps));
    expect(apps.map((a) => a.name)).toEqual(await stack.gw.listApps());
  });

  it("refresh() and reconnect() reload the view and resolve with the gateway's apps", async () => {
    await postJson(`${stack.gateway.url}/register_app`, { name: "fresh", url: echo.url });
    const refreshed = await stack.gw.refresh();
    expect(refreshed.map((a) => a.name)).toContain("fresh");
    expect(withoutHealth(await stack.gw.reconnect())).toEqual(withoutHealth(refreshed));
  });

  it("app(name) and gw.<name> are the same proxy, which knows its name", async () => {
    await stack.gw.registerApp("same", echo.url);
    expect(stack.gw.same).toBe(stack.gw.app("same"));
    expect(stack.gw.same.name).toBe("same");
    expect(await stack.gw.app<typeof EchoService>("same").echo({ message: "a" })).toEqual({
      echoed: "a",
    });
  });

  it("unregisterApp(name) removes the app from the gateway", async () => {
    await stack.gw.registerApp("gone", echo.url);
    await stack.gw.unregisterApp("gone");
    expect(await stack.gw.listApps()).not.toContain("gone");
    await expectRejects(
      stack.gw.unregisterApp("gone"),
      AppNotRegisteredError,
      "APP_NOT_REGISTERED",
    );
  });

  it("is not a thenable: awaiting the client or a proxy gives it back", async () => {
    const gw = stack.gw;
    // Promise.resolve adopts thenables exactly as `await` does.
    expect(await Promise.resolve(gw)).toBe(gw);
    expect(Reflect.get(gw, "then")).toBeUndefined();
    const proxy = gw.app("anything");
    expect(await Promise.resolve(proxy)).toBe(proxy);
    expect(Reflect.get(proxy, "then")).toBeUndefined();
  });

  it("keeps its own members as methods: app names never shadow them", () => {
    const members = [
      "registerApp",
      "unregisterApp",
      "registeredApps",
      "listApps",
      "listAppsWithSchemas",
      "refresh",
      "reconnect",
      "app",
      "status",
      "heartbeat",
      "shutdown",
      "close",
      "call",
    ] as const;
    for (const member of members) expect(typeof stack.gw[member], member).toBe("function");
    expect(stack.gw.url).toBe(stack.gateway.url);
  });
});
