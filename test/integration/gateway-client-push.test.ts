/**
 * Gateway clients kept current by push (issue 7, point 6), against a real Gateway served
 * in-process: the view follows `/events` with no calls, changes reach `on('change')` and
 * `changes()` in order, `subscribe: false` opts out, and revisions keep the view monotonic.
 */
import { describe, expect, it } from "vitest";
import { AppNotRegisteredError, InvalidOptionsError, ValidationError } from "../../src/errors.js";
import type { GatewayChange } from "../../src/gateway/gateway-client.js";
import { startEcho } from "../helpers/fixtures.js";
import type { EchoTasks, GatewayWith } from "../helpers/gateway-stack.js";
import { expectRejects, expectThrows } from "../helpers/expect-error.js";
import { startPushGateway, watchChanges } from "../helpers/push-gateway.js";

const lists = (requests: string[]) =>
  requests.filter((r) => r.startsWith("POST /list_apps_with_schemas")).length;

describe("gateway clients kept current by push", () => {
  it("connects with /events before the names, so no change falls between them", async () => {
    await using pg = await startPushGateway();
    await pg.connect();
    expect(pg.requests).toEqual(["POST /heartbeat", "GET /events", "POST /list_apps"]);
  });

  it("a client connected before a registration lists and calls the app with no list call", async () => {
    await using pg = await startPushGateway();
    await using echo = await startEcho();
    const gw = (await pg.connect()) as GatewayWith<{ echoer: EchoTasks }>;
    const changes = watchChanges(gw);
    const { revision } = await pg.service.registerApp("echoer", echo.url);
    await changes.until((c) => c.revision === revision);

    const apps = await gw.registeredApps();
    expect(apps.map((a) => [a.name, Object.keys(a.endpoints)])).toEqual([["echoer", ["echo"]]]);
    expect(await gw.echoer.echo({ message: "pushed" })).toEqual({ echoed: "pushed" });
    // The pushed schemas check input before anything is sent.
    await expectRejects(
      gw.echoer.echo({ message: 1 } as never),
      ValidationError,
      "VALIDATION_FAILED",
    );
    expect(lists(pg.requests)).toBe(0);
  });

  it("the stream has a connection of its own: a client with one pooled socket still calls", async () => {
    await using pg = await startPushGateway();
    await using echo = await startEcho();
    const gw = await pg.connect({ connections: 1 });
    await pg.service.registerApp("echoer", echo.url);
    expect(await gw.app("echoer").call("echo", { message: "one" })).toEqual({ echoed: "one" });
    expect(pg.service.eventSubscribers).toBe(1);
  });

  it("on('change') and changes() deliver register, update and unregister in order", async () => {
    await using pg = await startPushGateway();
    await using echo = await startEcho();
    await using other = await startEcho();
    const gw = await pg.connect();
    const heard: GatewayChange[] = [];
    const stop = gw.on("change", (change) => heard.push(change));
    const iterator = gw.changes();

    const registered = await pg.service.registerApp("svc", echo.url);
    const updated = await pg.service.registerApp("svc", other.url);
    const removed = await pg.service.unregisterApp("svc");
    const got: GatewayChange[] = [];
    for (let i = 0; i < 3; i++) got.push((await iterator.next()).value as GatewayChange);

    expect(got.map((c) => [c.type, c.revision])).toEqual([
      ["app_registered", registered.revision],
      ["app_updated", updated.revision],
      ["app_unregistered", removed.revision],
    ]);
    expect(got[1]).toMatchObject({ name: "svc", app: { name: "svc", url: other.url } });
    expect(heard).toEqual(got);

    stop();
    const again = await pg.service.registerApp("svc", echo.url);
    expect((await iterator.next()).value).toMatchObject({ revision: again.revision });
    expect(heard).toHaveLength(3);
    await iterator.return?.();
  });

  it("off() removes a listener; events other than 'change' are refused", async () => {
    await using pg = await startPushGateway();
    await using echo = await startEcho();
    const gw = await pg.connect();
    const heard: GatewayChange[] = [];
    const listener = (change: GatewayChange) => heard.push(change);
    gw.on("change", listener);
    gw.off("change", listener);
    const changes = watchChanges(gw);
    const { revision } = await pg.service.registerApp("svc", echo.url);
    await changes.until((c) => c.revision === revision);
    expect(heard).toEqual([]);
    expectThrows(
      () => gw.on("close" as "change", listener),
      InvalidOptionsError,
      "INVALID_OPTIONS",
    );
  });

  it("subscribe: false opens no stream and keeps the pull client", async () => {
    await using pg = await startPushGateway();
    await using echo = await startEcho();
    const gw = await pg.connect({ subscribe: false });
    const heard: GatewayChange[] = [];
    gw.on("change", (change) => heard.push(change));
    await pg.service.registerApp("echoer", echo.url);
    expect((await gw.registeredApps()).map((a) => a.name)).toEqual(["echoer"]);
    expect(pg.requests).toEqual([
      "POST /heartbeat",
      "POST /list_apps",
      "POST /list_apps_with_schemas",
    ]);
    expect(heard).toEqual([]);
  });

  it("an app unknown to the view still gets the one-app refresh fallback", async () => {
    await using pg = await startPushGateway();
    const gw = await pg.connect();
    await expectRejects(
      gw.app("ghost").call("anything"),
      AppNotRegisteredError,
      "APP_NOT_REGISTERED",
    );
    await expectRejects(
      (gw.app("ghost") as unknown as Record<string, () => Promise<unknown>>).anything!(),
      AppNotRegisteredError,
      "APP_NOT_REGISTERED",
    );
    expect(pg.requests.filter((r) => r === "POST /list_apps_with_schemas")).toHaveLength(1);
  });

  it("apps present at connect load their schemas once, then the view is served from memory", async () => {
    await using pg = await startPushGateway();
    await using echo = await startEcho();
    await pg.service.registerApp("one", echo.url);
    const gw = await pg.connect();
    const changes = watchChanges(gw);
    expect((await gw.registeredApps()).map((a) => a.name)).toEqual(["one"]);
    const { revision } = await pg.service.registerApp("two", echo.url);
    await changes.until((c) => c.revision === revision);
    expect((await gw.registeredApps()).map((a) => a.name)).toEqual(["one", "two"]);
    expect(lists(pg.requests)).toBe(1);
  });

  it.each([
    ["with its revision", false],
    ["without a revision (an older gateway)", true],
  ])(
    "a refresh answered before an unregistration cannot resurrect the app (list %s)",
    async (_label, stripRevision) => {
      await using pg = await startPushGateway();
      await using echo = await startEcho();
      const gw = await pg.connect();
      const changes = watchChanges(gw);
      const registered = await pg.service.registerApp("gone", echo.url);
      await changes.until((c) => c.revision === registered.revision);

      const held = pg.holdList({ stripRevision });
      const stale = gw.refresh();
      await held.arrived; // the reply is computed: it still lists "gone"
      const removed = await pg.service.unregisterApp("gone");
      await changes.until((c) => c.revision === removed.revision);
      held.release();

      expect(await stale).toEqual([]);
      expect(await gw.registeredApps()).toEqual([]);
      await expectRejects(gw.app("gone").call("echo"), AppNotRegisteredError, "APP_NOT_REGISTERED");
    },
  );

  it("a client's own register and unregister replies and the pushed changes agree, in any order", async () => {
    await using pg = await startPushGateway();
    await using echo = await startEcho();
    const gw = await pg.connect();
    const changes = watchChanges(gw);
    const registered = await gw.registerApp("mine", echo.url);
    expect((await gw.registeredApps()).map((a) => a.name)).toEqual(["mine"]);
    await gw.unregisterApp("mine");
    expect(await gw.registeredApps()).toEqual([]);
    await changes.until((c) => c.type === "app_unregistered");
    // The late push of the registration changed nothing: the removal is newer.
    expect(changes.seen.map((c) => c.type)).toEqual(["app_registered", "app_unregistered"]);
    expect(changes.seen[0]!.revision).toBe(registered.revision);
    expect(await gw.registeredApps()).toEqual([]);
    expect(lists(pg.requests)).toBe(0);
  });
});
