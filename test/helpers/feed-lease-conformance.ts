/**
 * The lease half of the change-feed conformance suite: making, renewing, listing expired,
 * dropping and claiming leases, and, for backends other processes can open (SQLite, Redis),
 * sharing them between two instances on one store.
 */
import { expect, it } from "vitest";
import type { ChangeFeedRegistry, ExpiredLease } from "../../src/registry/change-feed.js";
import type { Opener } from "./feed-conformance.js";
import { appRecord } from "./feed-reader.js";
import { waitFor } from "./fixtures.js";

/** Short leases for expiry (never asserted against a clock: the tests poll for the outcome). */
const SHORT_MS = 100;
/** Leases that must not expire during a test. */
const LONG_MS = 60_000;

/** Polls until `registry` lists exactly `count` expired leases, and returns them. */
async function expiredOnce(registry: ChangeFeedRegistry, count: number): Promise<ExpiredLease[]> {
  let expired: ExpiredLease[] = [];
  const listed = await waitFor(
    async () => (expired = await registry.expiredLeases()).length >= count,
  );
  expect(listed, `${count} expired leases, got ${JSON.stringify(expired)}`).toBe(true);
  return expired;
}

/**
 * Lease tests: make, renew, list expired, drop and claim; with `shared`, between two instances
 * on one store too.
 */
export function describeLeaseConformance(open: Opener, shared: boolean): void {
  it("renews a running lease, and no lease it never made", async () => {
    const registry = await open.create();
    await registry.lease("alpha", "http://127.0.0.1:1/", LONG_MS);
    expect(await registry.renewLease("alpha", "http://127.0.0.1:1/", LONG_MS)).toBe(true);
    expect(await registry.renewLease("alpha", "http://127.0.0.1:2/", LONG_MS)).toBe(false);
    expect(await registry.renewLease("bravo", "http://127.0.0.1:1/", LONG_MS)).toBe(false);
    expect(await registry.expiredLeases()).toEqual([]);
  });

  it("lists a lease past its deadline until it is dropped, and does not renew it", async () => {
    const registry = await open.create();
    await registry.lease("alpha", "http://127.0.0.1:1/", SHORT_MS);
    await registry.lease("alpha", "http://127.0.0.1:2/", LONG_MS);
    const gone = { name: "alpha", url: "http://127.0.0.1:1/" };
    expect(await expiredOnce(registry, 1)).toEqual([gone]);
    expect(await registry.renewLease(gone.name, gone.url, LONG_MS)).toBe(false);
    expect(await registry.expiredLeases()).toEqual([gone]);
    await registry.dropLease(gone.name, gone.url);
    await registry.dropLease(gone.name, gone.url);
    expect(await registry.expiredLeases()).toEqual([]);
    expect(await registry.renewLease("alpha", "http://127.0.0.1:2/", LONG_MS)).toBe(true);
  });

  it("makes a lease again after it expired or was dropped", async () => {
    const registry = await open.create();
    const [name, url] = ["alpha", "http://127.0.0.1:1/"];
    await registry.lease(name, url, SHORT_MS);
    await expiredOnce(registry, 1);
    await registry.lease(name, url, LONG_MS);
    expect(await registry.expiredLeases()).toEqual([]);
    expect(await registry.renewLease(name, url, LONG_MS)).toBe(true);
    await registry.dropLease(name, url);
    expect(await registry.renewLease(name, url, LONG_MS)).toBe(false);
    await registry.lease(name, url, LONG_MS);
    expect(await registry.renewLease(name, url, LONG_MS)).toBe(true);
  });

  it("lists expired leases oldest first, at most limit, and keeps any characters apart", async () => {
    const registry = await open.create();
    // Pairs a separator join would mix up, quotes, newlines, brackets and non-ASCII.
    const leases = [
      { name: "a:b", url: "c" },
      { name: "a", url: "b:c" },
      { name: 'we"ird\n名 ["x"]', url: 'http://127.0.0.1:1/?q=["1",2]&r="s"' },
      { name: "", url: "|" },
    ];
    for (const [i, { name, url }] of leases.entries()) {
      await registry.lease(name, url, SHORT_MS * (i + 1));
    }
    expect(await expiredOnce(registry, 4)).toEqual(leases);
    expect(await registry.expiredLeases(2)).toEqual(leases.slice(0, 2));
    expect(await registry.expiredLeases(0)).toEqual([]);
    await registry.dropLease("a:b", "c");
    expect(await registry.expiredLeases()).toEqual(leases.slice(1));
  });

  it("writes no change to the feed for lease operations", async () => {
    const registry = await open.create();
    await registry.apply({ op: "put", app: appRecord("alpha") });
    const before = await registry.snapshot();
    await registry.lease("alpha", "http://127.0.0.1:1/alpha", SHORT_MS);
    await registry.renewLease("alpha", "http://127.0.0.1:1/alpha", SHORT_MS);
    await expiredOnce(registry, 1);
    expect(await registry.claimExpiredLease("alpha", "http://127.0.0.1:1/alpha")).toBe(true);
    await registry.dropLease("alpha", "http://127.0.0.1:1/alpha");
    expect(await registry.snapshot()).toEqual(before);
    expect(await registry.get("alpha")).toMatchObject({ revision: 1 });
  });

  it("refuses a ttl that is not a positive number with INVALID_OPTIONS", async () => {
    const registry = await open.create();
    const invalid = { code: "INVALID_OPTIONS" };
    await expect(registry.lease("alpha", "http://x", 0)).rejects.toMatchObject(invalid);
    await expect(registry.renewLease("alpha", "http://x", Number.NaN)).rejects.toMatchObject(
      invalid,
    );
  });

  describeClaims(open);
  if (!shared) return;
  it("shares leases between instances on one store", async () => {
    const a = await open.create();
    const b = await open.reopen(a);
    await a.lease("alpha", "http://127.0.0.1:1/", LONG_MS);
    expect(await b.renewLease("alpha", "http://127.0.0.1:1/", LONG_MS)).toBe(true);
    await b.lease("bravo", "http://127.0.0.1:1/", SHORT_MS);
    expect(await expiredOnce(a, 1)).toEqual([{ name: "bravo", url: "http://127.0.0.1:1/" }]);
    await a.dropLease("bravo", "http://127.0.0.1:1/");
    expect(await b.expiredLeases()).toEqual([]);
  });

  it("lets exactly one of two instances claim an expired lease", async () => {
    const a = await open.create();
    const b = await open.reopen(a);
    const [name, url] = ["alpha", "http://127.0.0.1:1/"];
    await a.lease(name, url, SHORT_MS);
    await expiredOnce(b, 1);
    const claims = await Promise.all([a, b, a, b].map((r) => r.claimExpiredLease(name, url)));
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await a.expiredLeases()).toEqual([]);
  });
}

/** claimExpiredLease: drops a lease only while it is over, and only once. */
function describeClaims(open: Opener): void {
  it("claims no running lease: it stays and still renews", async () => {
    const registry = await open.create();
    const [name, url] = ["alpha", "http://127.0.0.1:1/"];
    await registry.lease(name, url, LONG_MS);
    expect(await registry.claimExpiredLease(name, url)).toBe(false);
    expect(await registry.renewLease(name, url, LONG_MS)).toBe(true);
  });

  it("claims no lease it never made, nor one dropped", async () => {
    const registry = await open.create();
    expect(await registry.claimExpiredLease("alpha", "http://127.0.0.1:1/")).toBe(false);
    await registry.lease("alpha", "http://127.0.0.1:1/", SHORT_MS);
    await expiredOnce(registry, 1);
    expect(await registry.claimExpiredLease("alpha", "http://127.0.0.1:2/")).toBe(false);
    expect(await registry.claimExpiredLease("bravo", "http://127.0.0.1:1/")).toBe(false);
    await registry.dropLease("alpha", "http://127.0.0.1:1/");
    expect(await registry.claimExpiredLease("alpha", "http://127.0.0.1:1/")).toBe(false);
  });

  it("claims an expired lease once: it is no longer listed, and others stay", async () => {
    const registry = await open.create();
    const gone = { name: "alpha", url: "http://127.0.0.1:1/" };
    await registry.lease(gone.name, gone.url, SHORT_MS);
    await registry.lease("alpha", "http://127.0.0.1:2/", LONG_MS);
    expect(await expiredOnce(registry, 1)).toEqual([gone]);
    expect(await registry.claimExpiredLease(gone.name, gone.url)).toBe(true);
    expect(await registry.expiredLeases()).toEqual([]);
    expect(await registry.claimExpiredLease(gone.name, gone.url)).toBe(false);
    expect(await registry.renewLease(gone.name, gone.url, LONG_MS)).toBe(false);
    expect(await registry.renewLease("alpha", "http://127.0.0.1:2/", LONG_MS)).toBe(true);
  });

  it("claims no lease made again after it expired", async () => {
    const registry = await open.create();
    const [name, url] = ["alpha", "http://127.0.0.1:1/"];
    await registry.lease(name, url, SHORT_MS);
    await expiredOnce(registry, 1);
    await registry.lease(name, url, LONG_MS);
    expect(await registry.claimExpiredLease(name, url)).toBe(false);
    expect(await registry.renewLease(name, url, LONG_MS)).toBe(true);
    expect(await registry.expiredLeases()).toEqual([]);
  });

  it("gives true to exactly one of concurrent claims of one expired lease", async () => {
    const registry = await open.create();
    const [name, url] = ["alpha", "http://127.0.0.1:1/"];
    await registry.lease(name, url, SHORT_MS);
    await expiredOnce(registry, 1);
    const claims = await Promise.all(
      Array.from({ length: 6 }, () => registry.claimExpiredLease(name, url)),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
  });
}
