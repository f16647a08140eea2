/**
 * The watching half of the change-feed conformance suite (replay, live changes, resync, abort),
 * and, for backends other processes can open (SQLite, Redis), two instances on one store.
 */
import { expect, it } from "vitest";
import type { Opener } from "./feed-conformance.js";
import { appNames, appRecord, readFeed } from "./feed-reader.js";

/** Watch tests: replay in order, then live; resync when history is gone; abort and close end it. */
export function describeWatchConformance(open: Opener): void {
  it("replays the changes after a revision in order, then yields live ones", async () => {
    const registry = await open.create();
    const written = [];
    for (const name of ["alpha", "bravo", "charlie"]) {
      written.push(await registry.apply({ op: "put", app: appRecord(name) }));
    }
    await using feed = readFeed(registry, 1);
    expect(await feed.next(2)).toEqual(written.slice(1));
    const live = await registry.apply({ op: "delete", name: "bravo" });
    const update = await registry.apply({ op: "put", app: appRecord("alpha", "http://x.test") });
    expect(await feed.next(2)).toEqual([live, update]);
  });

  it("yields only new changes when watching from the current revision", async () => {
    const registry = await open.create();
    await registry.apply({ op: "put", app: appRecord("alpha") });
    await using feed = readFeed(registry, (await registry.snapshot()).revision);
    const change = await registry.apply({ op: "put", app: appRecord("bravo") });
    expect(await feed.next()).toEqual([change]);
  });

  it("yields resync first when the changes asked for are no longer kept, then goes on live", async () => {
    const registry = await open.create({ history: 3 });
    for (const name of ["a1", "a2", "a3", "a4", "a5"]) {
      await registry.apply({ op: "put", app: appRecord(name) });
    }
    await using fromZero = readFeed(registry, 0);
    expect(await fromZero.next()).toEqual([{ type: "resync", revision: 5 }]);
    await using fromOne = readFeed(registry, 1);
    expect(await fromOne.next()).toEqual([{ type: "resync", revision: 5 }]);
    await using fromTwo = readFeed(registry, 2);
    expect((await fromTwo.next(3)).map((event) => event.revision)).toEqual([3, 4, 5]);
    const live = await registry.apply({ op: "delete", name: "a1" });
    expect(await fromZero.next()).toEqual([live]);
    expect(await fromTwo.next()).toEqual([live]);
  });

  it("ends the watch when its signal aborts, while waiting or before it starts", async () => {
    const registry = await open.create();
    await registry.apply({ op: "put", app: appRecord("alpha") });
    const feed = readFeed(registry, 1);
    const pending = feed.ended();
    feed.stop();
    expect(await pending).toBe(true);
    const aborted = AbortSignal.abort();
    const events = [];
    for await (const event of registry.watch(0, aborted)) events.push(event);
    expect(events).toEqual([]);
  });

  it("ends its watches when the registry closes", async () => {
    const registry = await open.create();
    await using feed = readFeed(registry, 0);
    const pending = feed.ended();
    await registry.close();
    expect(await pending).toBe(true);
  });
}

/** Two instances on one store, as two processes (replicas, workers) would open it. */
export function describeSharedConformance(open: Opener): void {
  it("shares changes between instances: each one's watch sees the other's writes", async () => {
    const a = await open.create();
    const b = await open.reopen(a);
    await using watchA = readFeed(a, 0);
    await using watchB = readFeed(b, 0);
    const put = await a.apply({ op: "put", app: appRecord("alpha") });
    expect(await watchB.next()).toEqual([put]);
    const removed = await b.apply({ op: "delete", name: "alpha" });
    expect(removed).toEqual({ type: "app_unregistered", revision: 2, name: "alpha" });
    expect(await watchA.next(2)).toEqual([put, removed]);
    expect(await a.snapshot()).toEqual(await b.snapshot());
  });

  it("supersedes a ticket of one instance by a begin on the other", async () => {
    const a = await open.create();
    const b = await open.reopen(a);
    const first = await a.begin("alpha");
    const second = await b.begin("alpha");
    expect(second).toEqual({ ticket: expect.any(Number) as number, superseded: true });
    expect(second.ticket).toBeGreaterThan(first.ticket);
    const stale = { op: "put", app: appRecord("alpha"), ticket: first.ticket } as const;
    expect(await a.apply(stale)).toBeUndefined();
    expect(await b.apply({ ...stale, ticket: second.ticket })).toMatchObject({ revision: 1 });
    expect((await a.begin("alpha")).superseded).toBe(false);
  });

  it("numbers concurrent writes of both instances 1..N with no gap or repeat", async () => {
    const a = await open.create();
    const b = await open.reopen(a);
    const writes = Array.from({ length: 20 }, (_, i) =>
      (i % 2 ? a : b).apply({ op: "put", app: appRecord(`app${i}`) }),
    );
    const revisions = (await Promise.all(writes)).map((change) => change?.revision ?? 0);
    expect(revisions.sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect((await b.snapshot()).revision).toBe(20);
    expect(await a.revision()).toBe(20);
  });

  it("keeps apps, order, revision and tickets for an instance opened after the first closed", async () => {
    const a = await open.create();
    await a.apply({ op: "put", app: appRecord("bravo") });
    await a.apply({ op: "put", app: appRecord("alpha") });
    const open1 = await a.begin("alpha");
    const b = await open.reopen(a);
    await a.close();
    expect(await appNames(b)).toEqual(["bravo", "alpha"]);
    expect((await b.snapshot()).revision).toBe(2);
    expect((await b.begin("alpha")).superseded).toBe(true);
    expect(await b.apply({ op: "delete", name: "alpha", ticket: open1.ticket })).toBeUndefined();
    await using feed = readFeed(b, 0);
    expect((await feed.next(2)).map((event) => event.revision)).toEqual([1, 2]);
  });
}
