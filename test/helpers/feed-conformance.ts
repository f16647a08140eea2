/**
 * The conformance suite every change-feed backend must pass (memory, SQLite, Redis): writes,
 * revisions, order, tickets, `get` and `expect` here; leases in feed-lease-conformance.ts;
 * watching and sharing a store in feed-watch-conformance.ts. A backend's test file calls
 * `describeFeedConformance("SqliteFeedRegistry", factory)`.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { ChangeFeedRegistry } from "../../src/registry/change-feed.js";
import { describeLeaseConformance } from "./feed-lease-conformance.js";
import { appNames, appRecord } from "./feed-reader.js";
import { describeSharedConformance, describeWatchConformance } from "./feed-watch-conformance.js";

/** How a test file opens its backend. */
export interface FeedFactory {
  /** A new instance on a new, empty store that keeps `history` changes (the default when absent). */
  create(options?: { history?: number }): Promise<ChangeFeedRegistry>;
  /**
   * Another instance on the store `registry` uses, as another process would open it. Absent
   * for backends a single process owns (memory).
   */
  reopen?(registry: ChangeFeedRegistry): Promise<ChangeFeedRegistry>;
}

/** Opens instances for one test and closes them all after it. */
export interface Opener {
  create(options?: { history?: number }): Promise<ChangeFeedRegistry>;
  reopen(registry: ChangeFeedRegistry): Promise<ChangeFeedRegistry>;
}

function opener(factory: FeedFactory): Opener {
  const opened: ChangeFeedRegistry[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((registry) => registry.close()));
  });
  const track = (registry: ChangeFeedRegistry): ChangeFeedRegistry => {
    opened.push(registry);
    return registry;
  };
  return {
    create: async (options) => track(await factory.create(options)),
    reopen: async (registry) => {
      if (!factory.reopen) throw new Error("this backend cannot be reopened");
      return track(await factory.reopen(registry));
    },
  };
}

/** Defines the conformance tests for the backend `factory` opens. */
export function describeFeedConformance(label: string, factory: FeedFactory): void {
  describe(`${label} conforms to ChangeFeedRegistry`, () => {
    const open = opener(factory);
    describeWrites(open);
    describeTickets(open);
    describeGetAndExpect(open);
    describeLeaseConformance(open, factory.reopen !== undefined);
    describeWatchConformance(open);
    if (factory.reopen) describeSharedConformance(open);
  });
}

function describeWrites(open: Opener): void {
  it("starts empty, at revision 0", async () => {
    const registry = await open.create();
    expect(await registry.snapshot()).toEqual({ revision: 0, apps: [] });
    expect(await registry.revision()).toBe(0);
  });

  it("numbers changes 1, 2, 3... and types them registered, updated, unregistered", async () => {
    const registry = await open.create();
    const alpha = appRecord("alpha");
    const moved = appRecord("alpha", "http://127.0.0.1:2/alpha");
    expect(await registry.apply({ op: "put", app: alpha })).toEqual({
      type: "app_registered",
      revision: 1,
      name: "alpha",
      app: alpha,
    });
    expect(await registry.apply({ op: "put", app: appRecord("bravo") })).toMatchObject({
      type: "app_registered",
      revision: 2,
    });
    expect(await registry.apply({ op: "put", app: moved })).toEqual({
      type: "app_updated",
      revision: 3,
      name: "alpha",
      app: moved,
    });
    expect(await registry.apply({ op: "delete", name: "alpha" })).toEqual({
      type: "app_unregistered",
      revision: 4,
      name: "alpha",
    });
    expect((await registry.snapshot()).revision).toBe(4);
    expect(await registry.revision()).toBe(4);
  });

  it("returns what was put, unchanged, with the revision of the last change", async () => {
    const registry = await open.create();
    const record = appRecord("alpha");
    await registry.apply({ op: "put", app: record });
    expect(await registry.snapshot()).toEqual({ revision: 1, apps: [structuredClone(record)] });
  });

  it("lists apps in registration order; an update keeps the place, delete then put goes last", async () => {
    const registry = await open.create();
    for (const name of ["charlie", "alpha", "bravo"]) {
      await registry.apply({ op: "put", app: appRecord(name) });
    }
    expect(await appNames(registry)).toEqual(["charlie", "alpha", "bravo"]);
    await registry.apply({ op: "put", app: appRecord("charlie", "http://127.0.0.1:2/new") });
    const snapshot = await registry.snapshot();
    expect(snapshot.apps.map((app) => [app.name, app.url])[0]).toEqual([
      "charlie",
      "http://127.0.0.1:2/new",
    ]);
    await registry.apply({ op: "delete", name: "charlie" });
    await registry.apply({ op: "put", app: appRecord("charlie") });
    expect(await appNames(registry)).toEqual(["alpha", "bravo", "charlie"]);
  });

  it("answers undefined to a delete of an unknown name, and writes nothing", async () => {
    const registry = await open.create();
    await registry.apply({ op: "put", app: appRecord("alpha") });
    expect(await registry.apply({ op: "delete", name: "never" })).toBeUndefined();
    expect(await registry.snapshot()).toMatchObject({ revision: 1 });
  });

  it("gives snapshots that later writes do not change", async () => {
    const registry = await open.create();
    await registry.apply({ op: "put", app: appRecord("alpha") });
    const before = await registry.snapshot();
    await registry.apply({ op: "put", app: appRecord("bravo") });
    await registry.apply({ op: "delete", name: "alpha" });
    expect(before.apps.map((app) => app.name)).toEqual(["alpha"]);
    expect(before.revision).toBe(1);
  });
}

function describeTickets(open: Opener): void {
  it("lets a later begin supersede a ticket: the stale apply changes nothing", async () => {
    const registry = await open.create();
    const first = await registry.begin("alpha");
    const second = await registry.begin("alpha");
    expect(second.ticket).toBeGreaterThan(first.ticket);
    const stale = appRecord("alpha", "http://127.0.0.1:1/stale");
    expect(await registry.apply({ op: "put", app: stale, ticket: first.ticket })).toBeUndefined();
    expect(await registry.snapshot()).toEqual({ revision: 0, apps: [] });
    const fresh = appRecord("alpha", "http://127.0.0.1:2/fresh");
    expect(await registry.apply({ op: "put", app: fresh, ticket: second.ticket })).toMatchObject({
      type: "app_registered",
      revision: 1,
    });
    expect((await registry.snapshot()).apps).toEqual([fresh]);
  });

  it("refuses a stale delete too: the app stays", async () => {
    const registry = await open.create();
    await registry.apply({ op: "put", app: appRecord("alpha") });
    const first = await registry.begin("alpha");
    await registry.begin("alpha");
    expect(await registry.apply({ op: "delete", name: "alpha", ticket: first.ticket })).toBe(
      undefined,
    );
    expect(await appNames(registry)).toEqual(["alpha"]);
  });

  it("says superseded only while an earlier operation on that name is still open", async () => {
    const registry = await open.create();
    expect((await registry.begin("alpha")).superseded).toBe(false);
    const second = await registry.begin("alpha");
    expect(second.superseded).toBe(true);
    await registry.apply({ op: "put", app: appRecord("alpha"), ticket: second.ticket });
    expect((await registry.begin("alpha")).superseded).toBe(false);
    expect((await registry.begin("bravo")).superseded).toBe(false);
  });

  it("keeps tickets per name, and an unconditional write leaves them alone", async () => {
    const registry = await open.create();
    const alpha = await registry.begin("alpha");
    const bravo = await registry.begin("bravo");
    await registry.apply({ op: "put", app: appRecord("alpha") });
    await registry.apply({ op: "put", app: appRecord("bravo"), ticket: bravo.ticket });
    const change = await registry.apply({
      op: "put",
      app: appRecord("alpha"),
      ticket: alpha.ticket,
    });
    expect(change).toMatchObject({ type: "app_updated", revision: 3 });
  });

  it("gives unique tickets, however the begins interleave", async () => {
    const registry = await open.create();
    const tickets = await Promise.all(
      Array.from({ length: 20 }, (_, i) => registry.begin(`app${i % 4}`)),
    );
    expect(new Set(tickets.map((t) => t.ticket)).size).toBe(20);
  });
}

function describeGetAndExpect(open: Opener): void {
  it("gets an app with the revision of the change that last wrote it; undefined once deleted", async () => {
    const registry = await open.create();
    expect(await registry.get("alpha")).toBeUndefined();
    const alpha = appRecord("alpha");
    await registry.apply({ op: "put", app: alpha });
    await registry.apply({ op: "put", app: appRecord("bravo") });
    expect(await registry.get("alpha")).toEqual({ app: alpha, revision: 1 });
    const moved = appRecord("alpha", "http://127.0.0.1:2/alpha");
    await registry.apply({ op: "put", app: moved });
    expect(await registry.get("alpha")).toEqual({ app: moved, revision: 3 });
    expect(await registry.get("bravo")).toMatchObject({ revision: 2 });
    await registry.apply({ op: "delete", name: "alpha" });
    expect(await registry.get("alpha")).toBeUndefined();
  });

  it("applies a put or delete whose expect is the name's last revision (0: not registered)", async () => {
    const registry = await open.create();
    const put = (expect: number, url?: string) =>
      registry.apply({ op: "put", app: appRecord("alpha", url), expect });
    expect(await put(0)).toMatchObject({ type: "app_registered", revision: 1 });
    expect(await put(1, "http://127.0.0.1:2/alpha")).toMatchObject({
      type: "app_updated",
      revision: 2,
    });
    expect(await registry.apply({ op: "delete", name: "alpha", expect: 2 })).toMatchObject({
      type: "app_unregistered",
      revision: 3,
    });
    expect(await put(0)).toMatchObject({ type: "app_registered", revision: 4 });
  });

  it("refuses a write whose expect differs, and writes nothing", async () => {
    const registry = await open.create();
    const latest = appRecord("alpha", "http://127.0.0.1:2/alpha");
    await registry.apply({ op: "put", app: appRecord("alpha") });
    await registry.apply({ op: "put", app: latest });
    const refused = [
      { op: "put", app: appRecord("alpha", "http://127.0.0.1:3/stale"), expect: 1 },
      { op: "put", app: appRecord("alpha", "http://127.0.0.1:3/new"), expect: 0 },
      { op: "delete", name: "alpha", expect: 1 },
      { op: "put", app: appRecord("bravo"), expect: 2 },
      { op: "delete", name: "bravo", expect: 0 },
    ] as const;
    for (const request of refused)
      expect(await registry.apply(request), request.op).toBeUndefined();
    expect(await registry.revision()).toBe(2);
    expect(await registry.snapshot()).toEqual({ revision: 2, apps: [latest] });
    expect(await registry.get("alpha")).toEqual({ app: latest, revision: 2 });
  });

  it("needs both the ticket and expect to hold; a failed expect leaves the ticket usable", async () => {
    const registry = await open.create();
    await registry.apply({ op: "put", app: appRecord("alpha") });
    const first = await registry.begin("alpha");
    const second = await registry.begin("alpha");
    const app = appRecord("alpha", "http://127.0.0.1:2/alpha");
    expect(
      await registry.apply({ op: "put", app, ticket: first.ticket, expect: 1 }),
    ).toBeUndefined();
    expect(
      await registry.apply({ op: "put", app, ticket: second.ticket, expect: 0 }),
    ).toBeUndefined();
    expect(await registry.revision()).toBe(1);
    const change = await registry.apply({ op: "put", app, ticket: second.ticket, expect: 1 });
    expect(change).toMatchObject({ type: "app_updated", revision: 2 });
  });

  it("lets exactly one of concurrent writes expecting the same revision through", async () => {
    const registry = await open.create();
    await registry.apply({ op: "put", app: appRecord("alpha") });
    const writes = Array.from({ length: 8 }, (_, i) =>
      registry.apply({
        op: "put",
        app: appRecord("alpha", `http://127.0.0.1:${i + 2}/`),
        expect: 1,
      }),
    );
    const applied = (await Promise.all(writes)).filter((change) => change !== undefined);
    expect(applied).toHaveLength(1);
    expect(await registry.get("alpha")).toMatchObject({ revision: 2 });
  });
}
