/**
 * A subscribed gateway client through drops and restarts of its gateway: it reconnects with
 * backoff, catches up from its last revision (`?since=`), reloads on `resync` (changes it can no
 * longer replay, or a store that went back in time), and `close()` leaves nothing running.
 */
import { describe, expect, it } from "vitest";
import { MemoryFeedRegistry } from "../../src/registry/memory/memory-registry.js";
import { startEcho, waitFor } from "../helpers/fixtures.js";
import { startPushGateway, watchChanges } from "../helpers/push-gateway.js";

const lists = (requests: string[]) =>
  requests.filter((r) => r.startsWith("POST /list_apps_with_schemas")).length;

describe("a subscribed client through drops and restarts", () => {
  it("a dropped stream reconnects and catches up from its last revision, with no list call", async () => {
    await using pg = await startPushGateway();
    await using echo = await startEcho();
    const gw = await pg.connect();
    const changes = watchChanges(gw);
    const first = await pg.service.registerApp("one", echo.url);
    await changes.until((c) => c.revision === first.revision);

    pg.eventSockets[0]!.destroy();
    const second = await pg.service.registerApp("two", echo.url);
    await changes.until((c) => c.revision === second.revision);

    expect(pg.requests).toContain(`GET /events?since=${first.revision}`);
    expect(changes.seen.map((c) => c.revision)).toEqual([first.revision, second.revision]);
    expect(lists(pg.requests)).toBe(0);
    expect((await gw.registeredApps()).map((a) => a.name)).toEqual(["one", "two"]);
  });

  it("a gateway restarted on the same registry replays what the client missed", async () => {
    await using pg = await startPushGateway();
    await using echo = await startEcho();
    const gw = await pg.connect();
    const changes = watchChanges(gw);
    const first = await pg.service.registerApp("one", echo.url);
    await changes.until((c) => c.revision === first.revision);

    await pg.stop();
    await pg.start();
    const second = await pg.service.registerApp("two", echo.url);
    await changes.until((c) => c.revision === second.revision);
    expect(changes.seen.map((c) => c.type)).toEqual(["app_registered", "app_registered"]);
    expect((await gw.registeredApps()).map((a) => a.name)).toEqual(["one", "two"]);
  });

  it("changes made while the gateway was down arrive as resync: the client reloads", async () => {
    await using pg = await startPushGateway();
    await using echo = await startEcho();
    const gw = await pg.connect();
    const changes = watchChanges(gw);
    const first = await pg.service.registerApp("one", echo.url);
    await changes.until((c) => c.revision === first.revision);

    await pg.stop();
    // Another replica writes to the shared store meanwhile: the restarted gateway has no history.
    const missed = await pg.registry.apply({
      op: "put",
      app: { name: "two", url: echo.url, endpoints: {} },
    });
    await pg.start();
    const resync = await changes.until((c) => c.type === "resync");

    expect(resync.revision).toBe(missed!.revision);
    expect(pg.requests).toContain(`GET /events?since=${first.revision}`);
    expect(lists(pg.requests)).toBe(1);
    expect((await gw.registeredApps()).map((a) => a.name)).toEqual(["one", "two"]);
  });

  it("a gateway restarted on an empty store: the client resyncs, drops the apps, and goes on", async () => {
    await using pg = await startPushGateway();
    await using echo = await startEcho();
    const gw = await pg.connect();
    const changes = watchChanges(gw);
    await pg.service.registerApp("one", echo.url);
    const second = await pg.service.registerApp("two", echo.url);
    await changes.until((c) => c.revision === second.revision);

    await pg.stop();
    await pg.start(new MemoryFeedRegistry());
    await changes.until((c) => c.type === "resync");
    expect(await gw.registeredApps()).toEqual([]);

    // Revisions start again from 1 in the new store: the view follows them.
    const again = await pg.service.registerApp("three", echo.url);
    await changes.until((c) => c.type === "app_registered" && c.name === "three");
    expect(again.revision).toBeLessThan(second.revision!);
    expect((await gw.registeredApps()).map((a) => a.name)).toEqual(["three"]);
  });

  it("close() ends the stream at the gateway and every changes() iterator", async () => {
    await using pg = await startPushGateway();
    const gw = await pg.connect();
    const iterator = gw.changes();
    const next = iterator.next();
    expect(pg.service.eventSubscribers).toBe(1);

    await gw.close();
    expect(await next).toEqual({ done: true, value: undefined });
    expect(await gw.changes().next()).toEqual({ done: true, value: undefined });
    expect(await waitFor(() => pg.service.eventSubscribers === 0)).toBe(true);
    expect(pg.requests.filter((r) => r.startsWith("GET /events"))).toEqual(["GET /events"]);
  });

  it("close() while reconnecting to a stopped gateway resolves and stops trying", async () => {
    await using pg = await startPushGateway();
    const gw = await pg.connect();
    await pg.stop();
    await gw.close(); // would hang on a pool with a request still open
    await pg.start();
    const seen = pg.requests.length;
    // A client still trying would be back within its first backoff steps (100 ms, 200 ms, ...).
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(pg.requests.slice(seen)).toEqual([]);
  });

  it("shutdown() through a subscribed client stops the gateway without waiting on the stream", async () => {
    await using pg = await startPushGateway();
    const gw = await pg.connect();
    expect(await gw.shutdown({ grace: 5_000 })).toEqual({ shutdown: true });
    expect(await waitFor(() => pg.service.eventSubscribers === 0)).toBe(true);
  });
});
