/**
 * A gateway client stays cheap with many apps: connecting asks for names only, and an app's
 * schemas are fetched for that app alone on its first call (`list_apps_with_schemas` with
 * `names`), while `refresh()` still loads every app.
 */
import { describe, expect, it } from "vitest";
import { startEcho } from "../helpers/fixtures.js";
import { startGatewayStack } from "../helpers/gateway-stack.js";
import type { EchoTasks } from "../helpers/gateway-stack.js";
import { postJson } from "../helpers/raw-http.js";

describe("lazy app schemas", () => {
  it("list_apps_with_schemas with names answers those apps only, unknown names left out", async () => {
    await using stack = await startGatewayStack();
    await using echo = await startEcho();
    await stack.gw.registerApp("one", echo.url);
    await stack.gw.registerApp("two", echo.url);
    const some = await postJson(`${stack.gateway.url}/list_apps_with_schemas`, {
      names: ["two", "ghost"],
    });
    expect(some.status).toBe(200);
    expect(some.json().apps.map((a: { name: string }) => a.name)).toEqual(["two"]);
    const all = await postJson(`${stack.gateway.url}/list_apps_with_schemas`, {});
    expect(all.json().apps.map((a: { name: string }) => a.name)).toEqual(["one", "two"]);
    expect(all.json().apps[0].endpoints.echo.input_schema).toMatchObject({ type: "object" });
  });

  it("connect asks for names only; the first call loads that one app, later calls load nothing", async () => {
    await using stack = await startGatewayStack<{ one: EchoTasks }>();
    await using echo = await startEcho();
    await stack.gw.registerApp("one", echo.url);
    await stack.gw.registerApp("two", echo.url);
    const seen = stack.requests.length;
    // Pull only: a subscribed client also opens GET /events (gateway-client-push.test.ts).
    const late = await stack.connect({ subscribe: false });
    expect(stack.requests.slice(seen)).toEqual(["POST /heartbeat", "POST /list_apps"]);
    expect(await late.one.echo({ message: "a" })).toEqual({ echoed: "a" });
    expect(await late.one.echo({ message: "b" })).toEqual({ echoed: "b" });
    expect(stack.requests.slice(seen + 2)).toEqual(["POST /list_apps_with_schemas"]);
  });

  it("refresh() loads every app with its schemas", async () => {
    await using stack = await startGatewayStack();
    await using echo = await startEcho();
    await stack.gw.registerApp("one", echo.url);
    const late = await stack.connect();
    const apps = await late.refresh();
    expect(apps.map((a) => a.name)).toEqual(["one"]);
    expect(Object.keys(apps[0]!.endpoints)).toEqual(["echo"]);
  });
});
