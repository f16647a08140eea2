/**
 * `GET /events` over real sockets: with undici's EventSource (the standard WHATWG client, which
 * reconnects with `Last-Event-ID` by itself) and with a raw reader that sees every frame. Replay,
 * resync, heartbeats, the access policy, fan-out, slow subscribers and a prompt close.
 */
import { connect } from "node:net";
import { EventSource } from "undici";
import { describe, expect, it } from "vitest";
import { InvalidAppNameError } from "../../src/errors.js";
import { Gateway } from "../../src/gateway/gateway.js";
import type { GatewayOptions } from "../../src/gateway/gateway.js";
import { MemoryFeedRegistry } from "../../src/registry/memory/memory-registry.js";
import type { AppRecord } from "../../src/registry/registry.js";
import { isolateEnv } from "../helpers/env.js";
import { expectRejects } from "../helpers/expect-error.js";
import { ECHO_DESCRIPTOR, serveOn, startEcho, startGateway, waitFor } from "../helpers/fixtures.js";
import type { Running } from "../helpers/fixtures.js";
import { rawRequest } from "../helpers/raw-http.js";
import { openSse } from "../helpers/sse-reader.js";
import type { SseFrame } from "../helpers/sse-reader.js";

isolateEnv();

const CALLER = "call-7e1f0a93bd";

/** What an EventSource delivered, in order. */
interface Delivered {
  type: string;
  id: string;
  data: unknown;
}

const EVENT_TYPES = ["ready", "resync", "app_registered", "app_updated", "app_unregistered"];

/** An EventSource on `url` that records every event of the wire format. */
function listen(url: string): { source: EventSource; events: Delivered[] } & Disposable {
  const source = new EventSource(url);
  const events: Delivered[] = [];
  for (const type of EVENT_TYPES) {
    source.addEventListener(type, (event) => {
      const message = event as MessageEvent;
      events.push({ type, id: message.lastEventId, data: JSON.parse(String(message.data)) });
    });
  }
  return { source, events, [Symbol.dispose]: () => source.close() };
}

/** Waits until `events` holds `count` events of `type` (a guard against a hang). */
async function received(events: Delivered[], type: string, count = 1): Promise<void> {
  const ok = await waitFor(() => events.filter((e) => e.type === type).length >= count, 10_000);
  if (!ok) throw new Error(`no ${count} ${type} event(s): got ${JSON.stringify(events)}`);
}

/** The change events of some frames as [event, id, parsed data]. */
function changes(frames: SseFrame[]): [string | undefined, string | undefined, unknown][] {
  return frames
    .filter((f) => f.event !== undefined)
    .map((f) => [f.event, f.id, JSON.parse(f.data ?? "null")]);
}

/** A record the registry takes as is (no discovery): for feeds built before a gateway opens. */
function record(name: string, endpoints: AppRecord["endpoints"] = {}): AppRecord {
  return { name, url: "http://127.0.0.1:9", endpoints };
}

/** A record as `/events` shows it: with its instances' health on this replica. */
function shown(name: string): AppRecord {
  return { ...record(name), instances: [{ url: "http://127.0.0.1:9", health: "healthy" }] };
}

function startGatewayOn(options: GatewayOptions): Promise<Running<Gateway>> {
  return startGateway(options);
}

describe("GET /events with a standard EventSource", () => {
  it("delivers app_registered, app_updated and app_unregistered with the revision as id", async () => {
    await using echo = await startEcho();
    await using gateway = await startGateway();
    using stream = listen(`${gateway.url}/events`);
    await received(stream.events, "ready");
    expect(stream.events[0]).toEqual({ type: "ready", id: "0", data: { revision: 0 } });

    const app = {
      name: "echoer",
      url: echo.url,
      endpoints: { echo: ECHO_DESCRIPTOR },
      kind: "portico",
      instances: [{ url: echo.url, server_id: echo.service.id, health: "healthy" }],
    };
    const first = await gateway.service.registerApp("echoer", echo.url);
    await received(stream.events, "app_registered");
    await gateway.service.registerApp("echoer", echo.url);
    await received(stream.events, "app_updated");
    await gateway.service.unregisterApp("echoer");
    await received(stream.events, "app_unregistered");

    expect(first.revision).toBe(1);
    expect(stream.events.slice(1)).toEqual([
      {
        type: "app_registered",
        id: "1",
        data: { type: "app_registered", revision: 1, name: "echoer", app },
      },
      {
        type: "app_updated",
        id: "2",
        data: { type: "app_updated", revision: 2, name: "echoer", app },
      },
      {
        type: "app_unregistered",
        id: "3",
        data: { type: "app_unregistered", revision: 3, name: "echoer" },
      },
    ]);
  });

  it("reconnects by itself with Last-Event-ID and gets what it missed, once", async () => {
    const seen: (string | undefined)[] = [];
    const service = new Gateway();
    service.app.addHook("onRequest", (request, _reply, done) => {
      if (request.url.startsWith("/events")) seen.push(request.headers["last-event-id"] as string);
      done();
    });
    await using gateway = await serveOn(service);
    using stream = listen(`${gateway.url}/events`);
    await received(stream.events, "ready");
    await service.registry.apply({ op: "put", app: record("first") });
    await received(stream.events, "app_registered");

    // Drop every connection from the server side: the client retries after `retry: 1000`.
    service.app.server.closeAllConnections();
    await service.registry.apply({ op: "put", app: record("second") });
    await received(stream.events, "app_registered", 2);
    await received(stream.events, "ready", 2);

    expect(seen).toEqual([undefined, "1"]);
    const registered = stream.events.filter((e) => e.type === "app_registered");
    expect(registered.map((e) => [e.id, (e.data as { name: string }).name])).toEqual([
      ["1", "first"],
      ["2", "second"],
    ]);
  });
});

describe("GET /events with a raw reader", () => {
  it("sends the stream headers, retry first, then ready; live changes follow", async () => {
    await using gateway = await startGateway();
    await using reader = await openSse(`${gateway.url}/events`);
    expect(reader.status).toBe(200);
    expect(reader.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    expect(reader.headers["cache-control"]).toBe("no-cache");
    expect(reader.headers["x-accel-buffering"]).toBe("no");
    expect(await reader.next(2)).toEqual([
      { retry: "1000" },
      { event: "ready", id: "0", data: '{"revision":0}' },
    ]);
    await gateway.service.registry.apply({ op: "put", app: record("live") });
    expect(changes(await reader.until("app_registered"))).toEqual([
      [
        "app_registered",
        "1",
        { type: "app_registered", revision: 1, name: "live", app: shown("live") },
      ],
    ]);
  });

  it("replays the changes after ?since= in order, then ready, then live ones", async () => {
    await using gateway = await startGateway();
    const registry = gateway.service.registry;
    await registry.apply({ op: "put", app: record("a") });
    await registry.apply({ op: "put", app: record("b") });
    await registry.apply({ op: "delete", name: "a" });
    await gateway.service.feed.waitFor(3, 5_000);

    await using reader = await openSse(`${gateway.url}/events?since=1`);
    const head = await reader.until("ready");
    expect(head[0]).toEqual({ retry: "1000" });
    expect(changes(head)).toEqual([
      ["app_registered", "2", { type: "app_registered", revision: 2, name: "b", app: shown("b") }],
      ["app_unregistered", "3", { type: "app_unregistered", revision: 3, name: "a" }],
      ["ready", "3", { revision: 3 }],
    ]);
    await registry.apply({ op: "put", app: record("b") });
    expect(changes(await reader.until("app_updated"))).toEqual([
      ["app_updated", "4", { type: "app_updated", revision: 4, name: "b", app: shown("b") }],
    ]);
  });

  it("replays after Last-Event-ID, which wins over ?since= (an EventSource reconnecting)", async () => {
    await using gateway = await startGateway();
    const registry = gateway.service.registry;
    for (const name of ["a", "b", "c"]) await registry.apply({ op: "put", app: record(name) });
    await gateway.service.feed.waitFor(3, 5_000);

    await using byHeader = await openSse(`${gateway.url}/events`, { "last-event-id": "1" });
    expect(changes(await byHeader.until("ready")).map(([event, id]) => [event, id])).toEqual([
      ["app_registered", "2"],
      ["app_registered", "3"],
      ["ready", "3"],
    ]);
    await using both = await openSse(`${gateway.url}/events?since=0`, { "last-event-id": "2" });
    expect(changes(await both.until("ready")).map(([event, id]) => [event, id])).toEqual([
      ["app_registered", "3"],
      ["ready", "3"],
    ]);
    await using current = await openSse(`${gateway.url}/events?since=3`);
    expect(changes(await current.until("ready"))).toEqual([["ready", "3", { revision: 3 }]]);
  });

  it("sends resync when the revision asked for is older than what the gateway keeps", async () => {
    const registry = new MemoryFeedRegistry(5);
    for (let i = 1; i <= 10; i++) await registry.apply({ op: "put", app: record(`app${i}`) });
    await using gateway = await startGatewayOn({ registry });

    await using reader = await openSse(`${gateway.url}/events?since=1`);
    expect(changes(await reader.until("ready"))).toEqual([
      ["resync", "10", { type: "resync", revision: 10 }],
      ["ready", "10", { revision: 10 }],
    ]);
    // After the resync the stream goes on from the snapshot's revision.
    await registry.apply({ op: "delete", name: "app1" });
    expect(changes(await reader.until("app_unregistered"))).toEqual([
      ["app_unregistered", "11", { type: "app_unregistered", revision: 11, name: "app1" }],
    ]);
  });

  it("sends resync when the revision asked for is newer than the store's (a store reset)", async () => {
    await using gateway = await startGateway();
    await gateway.service.registry.apply({ op: "put", app: record("a") });
    await using reader = await openSse(`${gateway.url}/events?since=99`);
    expect(changes(await reader.until("ready"))).toEqual([
      ["resync", "1", { type: "resync", revision: 1 }],
      ["ready", "1", { revision: 1 }],
    ]);
  });

  it("sends : ping comments every eventsHeartbeatMs", async () => {
    await using gateway = await startGateway({ eventsHeartbeatMs: 100 });
    await using reader = await openSse(`${gateway.url}/events`);
    await reader.until("ready");
    expect(await reader.next(2)).toEqual([{ comment: "ping" }, { comment: "ping" }]);
  });

  it("keeps a stream open past the server's request timeouts", async () => {
    await using gateway = await startGateway({
      eventsHeartbeatMs: 100,
      requestTimeout: 200,
      headersTimeout: 200,
    });
    await using reader = await openSse(`${gateway.url}/events`);
    await reader.until("ready");
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await reader.ended(0)).toBe(false);
    await gateway.service.registry.apply({ op: "put", app: record("late") });
    expect(changes(await reader.until("app_registered"))[0]?.[1]).toBe("1");
  });

  it("answers 400 BAD_REQUEST before the stream for a revision that is not a non-negative integer", async () => {
    await using gateway = await startGateway();
    const queries = [
      "since=-1",
      "since=abc",
      "since=1.5",
      "since=",
      "since=1e3",
      "since=1&since=2",
    ];
    for (const query of queries) {
      const reply = await rawRequest(`${gateway.url}/events?${query}`);
      expect([query, reply.status, reply.json().error.code]).toEqual([query, 400, "BAD_REQUEST"]);
    }
    const byHeader = await rawRequest(`${gateway.url}/events`, {
      headers: { "last-event-id": "x1" },
    });
    expect([byHeader.status, byHeader.json().error.code]).toEqual([400, "BAD_REQUEST"]);
    expect(gateway.service.eventSubscribers).toBe(0);
  });

  it("answers HEAD with the stream headers and refuses other methods with 405", async () => {
    await using gateway = await startGateway();
    const head = await rawRequest(`${gateway.url}/events`, { method: "HEAD" });
    expect([head.status, head.headers["content-type"]]).toEqual([
      200,
      "text/event-stream; charset=utf-8",
    ]);
    const post = await rawRequest(`${gateway.url}/events`, { method: "POST" });
    expect([post.status, post.json().error.code, post.headers.allow]).toEqual([
      405,
      "METHOD_NOT_ALLOWED",
      "GET",
    ]);
  });

  it("reserves the name events, so no app can shadow the route", async () => {
    await using echo = await startEcho();
    await using gateway = await startGateway();
    await expectRejects(
      gateway.service.registerApp("events", echo.url),
      InvalidAppNameError,
      "INVALID_APP_NAME",
    );
  });
});

describe("GET /events and the access policy", () => {
  it("needs the caller token when one is set, and a loopback Host", async () => {
    await using gateway = await startGateway({ callToken: CALLER });
    const url = `${gateway.url}/events`;
    const none = await openSse(url);
    expect([none.status, JSON.parse(none.body).error.code]).toEqual([401, "UNAUTHORIZED"]);
    const wrong = await openSse(url, { authorization: "Bearer nope" });
    expect([wrong.status, JSON.parse(wrong.body).error.code]).toEqual([403, "FORBIDDEN"]);
    const evil = await openSse(url, { authorization: `Bearer ${CALLER}`, host: "evil.example" });
    expect([evil.status, JSON.parse(evil.body).error.code]).toEqual([403, "FORBIDDEN_HOST"]);

    await using allowed = await openSse(url, { authorization: `Bearer ${CALLER}` });
    expect(allowed.status).toBe(200);
    expect(changes(await allowed.until("ready"))).toEqual([["ready", "0", { revision: 0 }]]);
  });

  it("refuses a foreign Host with no token configured", async () => {
    await using gateway = await startGateway();
    const evil = await openSse(`${gateway.url}/events`, { host: "evil.example" });
    expect([evil.status, JSON.parse(evil.body).error.code]).toEqual([403, "FORBIDDEN_HOST"]);
  });
});

describe("GET /events under load and at close", () => {
  it("delivers one change to 200 subscribers", async () => {
    await using gateway = await startGateway();
    const readers = await Promise.all(
      Array.from({ length: 200 }, () => openSse(`${gateway.url}/events`)),
    );
    try {
      await Promise.all(readers.map((r) => r.until("ready")));
      expect(gateway.service.eventSubscribers).toBe(200);
      await gateway.service.registry.apply({ op: "put", app: record("fan") });
      const got = await Promise.all(readers.map((r) => r.until("app_registered")));
      expect(new Set(got.map((frames) => frames.at(-1)?.id))).toEqual(new Set(["1"]));
    } finally {
      for (const reader of readers) reader.close();
    }
    expect(await waitFor(() => gateway.service.eventSubscribers === 0)).toBe(true);
  });

  it("drops a subscriber that does not read once its backlog passes the bound", async () => {
    const registry = new MemoryFeedRegistry();
    await using gateway = await startGatewayOn({ registry });
    const { port } = new URL(gateway.url);
    const socket = connect(Number(port), "127.0.0.1");
    socket.pause(); // never reads: the server's buffer for it grows
    socket.write(`GET /events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
    try {
      expect(await waitFor(() => gateway.service.eventSubscribers === 1)).toBe(true);
      // 512 KiB changes, until the kernel's buffers are full and the bound (1 MiB) is passed.
      const description = "x".repeat(512 * 1024);
      const big = { echo: { ...ECHO_DESCRIPTOR, methods: ["POST" as const], description } };
      for (let i = 0; i < 200 && gateway.service.eventSubscribers > 0; i++) {
        await registry.apply({ op: "put", app: record(`big${i % 4}`, big) });
        await gateway.service.feed.waitFor(i + 1, 5_000);
      }
      expect(gateway.service.eventSubscribers).toBe(0);
    } finally {
      socket.destroy();
    }
  });

  it("ends every open stream when the gateway closes, so it closes promptly", async () => {
    const gateway = await startGateway();
    const readers = await Promise.all(
      Array.from({ length: 3 }, () => openSse(`${gateway.url}/events`)),
    );
    using stream = listen(`${gateway.url}/events`);
    await Promise.all(readers.map((r) => r.until("ready")));
    await received(stream.events, "ready");
    expect(gateway.service.eventSubscribers).toBe(4);

    const deadline = new Promise<"stuck">((resolve) => setTimeout(resolve, 5_000, "stuck").unref());
    expect(await Promise.race([gateway.close().then(() => "closed"), deadline])).toBe("closed");
    stream.source.close();
    for (const reader of readers) expect(await reader.ended()).toBe(true);
    expect(gateway.service.eventSubscribers).toBe(0);
  });
});
