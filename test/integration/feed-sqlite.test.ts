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
});

/** A registry that `await using` closes. */
function closing<T extends { close(): Promise<void> }>(registry: T): T & AsyncDisposable {
  return Object.assign(registry, { [Symbol.asyncDispose]: () => registry.close() });
}
