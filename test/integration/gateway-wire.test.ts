import { describe, expect, it } from "vitest";
import { builtinTasks } from "../../src/contract/builtins.js";
import { startEcho } from "../helpers/fixtures.js";
import { startGatewayStack } from "../helpers/gateway-stack.js";
import { startPlainApp } from "../helpers/plain-app.js";
import { postJson, rawRequest } from "../helpers/raw-http.js";

const BUILTINS = Object.keys(builtinTasks);

describe("gateway wire endpoints", () => {
  it("register_app {name,url} answers with the app and the endpoints it fetched itself", async () => {
    await using stack = await startGatewayStack();
    await using echo = await startEcho();
    const reply = await postJson(`${stack.gateway.url}/register_app`, {
      name: "echoer",
      url: `${echo.url}/`,
    });
    expect(reply.status).toBe(200);
    const detailed = (await postJson(`${echo.url}/detailed_endpoints`, {})).json();
    const own = Object.fromEntries(
      Object.entries(detailed.endpoints).filter(([name]) => !BUILTINS.includes(name)),
    );
    expect(Object.keys(own)).toContain("echo");
    expect(reply.json()).toEqual({
      name: "echoer",
      url: echo.url,
      endpoints: own,
      kind: "portico",
      instances: [{ url: echo.url, server_id: echo.service.id, health: "healthy" }],
      discovered: true,
      revision: 1,
    });
  });

  it("list_apps and list_apps_with_schemas report every app in registration order", async () => {
    await using stack = await startGatewayStack();
    await using echo = await startEcho();
    await using plain = await startPlainApp();
    await postJson(`${stack.gateway.url}/register_app`, { name: "zulu", url: echo.url });
    await postJson(`${stack.gateway.url}/register_app`, { name: "alpha", url: plain.url });
    expect((await postJson(`${stack.gateway.url}/list_apps`, {})).json()).toEqual({
      apps: ["zulu", "alpha"],
    });
    const { apps } = (await postJson(`${stack.gateway.url}/list_apps_with_schemas`, {})).json();
    expect(apps.map((a: object) => Object.keys(a).sort())).toEqual([
      ["endpoints", "instances", "kind", "name", "url"],
      ["endpoints", "instances", "kind", "name", "url"],
    ]);
    expect(apps[0]).toMatchObject({ name: "zulu", url: echo.url, kind: "portico" });
    expect(Object.keys(apps[0].endpoints)).toEqual(["echo"]);
    expect(apps[1]).toEqual({
      name: "alpha",
      url: plain.url,
      endpoints: {},
      kind: "http",
      // This replica's view of the instance: healthy until a check says otherwise.
      instances: [{ url: plain.url, health: "healthy" }],
    });
  });

  it("unregister_app {name} removes the app and its route", async () => {
    await using stack = await startGatewayStack();
    await using plain = await startPlainApp();
    await postJson(`${stack.gateway.url}/register_app`, { name: "plain", url: plain.url });
    const reply = await postJson(`${stack.gateway.url}/unregister_app`, { name: "plain" });
    expect(reply.status).toBe(200);
    expect(reply.json()).toEqual({ name: "plain", removed: true, revision: 2 });
    expect((await postJson(`${stack.gateway.url}/list_apps`, {})).json()).toEqual({ apps: [] });
    const forwarded = await rawRequest(`${stack.gateway.url}/plain/anything`);
    expect(forwarded.status).toBe(404);
    expect(forwarded.json().error.code).toBe("APP_NOT_REGISTERED");
    const again = await postJson(`${stack.gateway.url}/unregister_app`, { name: "plain" });
    expect([again.status, again.json().error.code]).toEqual([404, "APP_NOT_REGISTERED"]);
  });

  it("re-registering a name replaces it: one entry, and the new URL is used", async () => {
    await using stack = await startGatewayStack();
    await using before = await startPlainApp();
    await using after = await startPlainApp();
    await postJson(`${stack.gateway.url}/register_app`, { name: "svc", url: before.url });
    await postJson(`${stack.gateway.url}/register_app`, { name: "other", url: before.url });
    const reply = await postJson(`${stack.gateway.url}/register_app`, {
      name: "svc",
      url: after.url,
    });
    expect(reply.json()).toMatchObject({ name: "svc", url: after.url });
    expect((await postJson(`${stack.gateway.url}/list_apps`, {})).json()).toEqual({
      apps: ["svc", "other"],
    });
    const beforeCount = before.received.length;
    const forwarded = await rawRequest(`${stack.gateway.url}/svc/where`);
    expect(forwarded.json().url).toBe("/where");
    expect(after.received.at(-1)?.url).toBe("/where");
    expect(before.received.length).toBe(beforeCount);
  });
});
