import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SqliteFeedRegistry } from "../../src/registry/sqlite/sqlite-registry.js";
import { openDatabase, sqliteFilename } from "../../src/registry/sqlite/sqlite-driver.js";
import { describeFeedConformance } from "../helpers/feed-conformance.js";
import { appNames, appRecord } from "../helpers/feed-reader.js";

const dir = mkdtempSync(join(tmpdir(), "portico-feed-"));
let files = 0;
const freshUrl = (): string => `sqlite://${join(dir, `feed-${++files}.db`)}`;

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeFeedConformance("SqliteFeedRegistry", {
  create: (options) => SqliteFeedRegistry.open(freshUrl(), { ...options, pollInterval: 20 }),
  reopen: (registry) => SqliteFeedRegistry.open(registry.url, { pollInterval: 20 }),
});

describe("SqliteFeedRegistry", () => {
  it("maps sqlite: URLs to files", () => {
    expect(sqliteFilename("sqlite:///var/lib/portico.db")).toBe("/var/lib/portico.db");
    expect(sqliteFilename("sqlite:./state/portico.db")).toBe("./state/portico.db");
    expect(sqliteFilename("sqlite:portico%20state.db")).toBe("portico state.db");
    expect(sqliteFilename("sqlite::memory:")).toBe(":memory:");
    for (const url of ["sqlite://host/portico.db", "sqlite:", "redis://x"]) {
      expect(() => sqliteFilename(url), url).toThrow(
        expect.objectContaining({ code: "INVALID_OPTIONS" }),
      );
    }
  });

  it("opens a path relative to the working directory, and sqlite::memory:", async () => {
    const url = `sqlite:./${relative(process.cwd(), join(dir, "relative.db"))}`;
    const registry = await SqliteFeedRegistry.open(url);
    await registry.apply({ op: "put", app: appRecord("alpha") });
    await registry.close();
    await using again = closing(
      await SqliteFeedRegistry.open(`sqlite://${join(dir, "relative.db")}`),
    );
    expect(await appNames(again)).toEqual(["alpha"]);
    await using memory = closing(await SqliteFeedRegistry.open("sqlite::memory:"));
    expect(await memory.snapshot()).toEqual({ revision: 0, apps: [] });
  });

  it("refuses with INVALID_OPTIONS a file it cannot create", async () => {
    const url = `sqlite://${join(dir, "no-such-dir", "feed.db")}`;
    await expect(SqliteFeedRegistry.open(url)).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
  });

  it("keeps the file in WAL mode", async () => {
    const url = freshUrl();
    await using registry = closing(await SqliteFeedRegistry.open(url));
    await registry.apply({ op: "put", app: appRecord("alpha") });
    const raw = await openDatabase(sqliteFilename(url), 0);
    try {
      expect(raw.pragma("journal_mode", { simple: true })).toBe("wal");
    } finally {
      raw.close();
    }
  });

  it("fails a write with REGISTRY_UNAVAILABLE while another connection holds the lock past busyTimeout", async () => {
    const url = freshUrl();
    await using registry = closing(await SqliteFeedRegistry.open(url, { busyTimeout: 50 }));
    const raw = await openDatabase(sqliteFilename(url), 0);
    raw.exec("BEGIN IMMEDIATE");
    try {
      await expect(registry.apply({ op: "put", app: appRecord("alpha") })).rejects.toMatchObject({
        code: "REGISTRY_UNAVAILABLE",
        status: 503,
        retryable: true,
      });
      await expect(registry.begin("alpha")).rejects.toMatchObject({ code: "REGISTRY_UNAVAILABLE" });
    } finally {
      raw.exec("ROLLBACK");
      raw.close();
    }
    expect(await registry.apply({ op: "put", app: appRecord("alpha") })).toMatchObject({
      revision: 1,
    });
  });

  it("opens a file of the version before app revisions and leases, and migrates it", async () => {
    const url = freshUrl();
    const old = await openDatabase(sqliteFilename(url), 0);
    old.exec(OLD_SCHEMA);
    // alpha's change is still in the history; bravo's was pruned (charlie's revision 3 is newest).
    const alpha = appRecord("alpha");
    old.exec(`INSERT INTO meta (id, revision, ticket) VALUES (1, 3, 0);
      INSERT INTO changes VALUES (2, 'app_registered', 'alpha', '${JSON.stringify(alpha)}');
      INSERT INTO changes VALUES (3, 'app_unregistered', 'charlie', NULL);`);
    const insert = old.prepare("INSERT INTO apps (name, position, json) VALUES (?, ?, ?)");
    insert.run("bravo", 1, JSON.stringify(appRecord("bravo")));
    insert.run("alpha", 2, JSON.stringify(alpha));
    old.close();

    await using registry = closing(await SqliteFeedRegistry.open(url));
    expect(await appNames(registry)).toEqual(["bravo", "alpha"]);
    expect(await registry.get("alpha")).toEqual({ app: alpha, revision: 2 });
    expect(await registry.get("bravo")).toMatchObject({ revision: 3 });
    const moved = appRecord("bravo", "http://127.0.0.1:2/bravo");
    expect(await registry.apply({ op: "put", app: moved, expect: 2 })).toBeUndefined();
    expect(await registry.apply({ op: "put", app: moved, expect: 3 })).toMatchObject({
      type: "app_updated",
      revision: 4,
    });
    await registry.lease("bravo", moved.url, 60_000);
    expect(await registry.renewLease("bravo", moved.url, 60_000)).toBe(true);
    // Opened again, the file is already migrated.
    await using again = closing(await SqliteFeedRegistry.open(url));
    expect(await again.get("bravo")).toEqual({ app: moved, revision: 4 });
    expect(await again.renewLease("bravo", moved.url, 60_000)).toBe(true);
  });
});

/** The tables as the version before app revisions and leases created them. */
const OLD_SCHEMA = `
CREATE TABLE meta (id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER NOT NULL, ticket INTEGER NOT NULL);
CREATE TABLE apps (name TEXT PRIMARY KEY, position INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX apps_by_position ON apps (position);
CREATE TABLE changes (revision INTEGER PRIMARY KEY, type TEXT NOT NULL, name TEXT NOT NULL, json TEXT);
CREATE TABLE tickets (name TEXT PRIMARY KEY, last INTEGER NOT NULL, committed INTEGER NOT NULL);
`;

/** A registry that `await using` closes. */
function closing<T extends { close(): Promise<void> }>(registry: T): T & AsyncDisposable {
  return Object.assign(registry, { [Symbol.asyncDispose]: () => registry.close() });
}
