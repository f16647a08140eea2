import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import type * as NodePath from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { createRegistry } from "../../src/registry/create-registry.js";
import { loadOptional } from "../../src/registry/load-optional.js";
import { MemoryFeedRegistry } from "../../src/registry/memory/memory-registry.js";
import { SqliteFeedRegistry } from "../../src/registry/sqlite/sqlite-registry.js";
import { appRecord, readFeed } from "../helpers/feed-reader.js";

const run = promisify(execFile);

describe("createRegistry", () => {
  it("opens memory:// and sqlite: URLs with their backend, passing the history size", async () => {
    const memory = await createRegistry("memory://", { history: 1 });
    expect(memory).toBeInstanceOf(MemoryFeedRegistry);
    expect(memory.url).toBe("memory://");
    await memory.apply({ op: "put", app: appRecord("alpha") });
    await memory.apply({ op: "put", app: appRecord("bravo") });
    await using feed = readFeed(memory, 0);
    expect(await feed.next()).toEqual([{ type: "resync", revision: 2 }]);
    const sqlite = await createRegistry("sqlite::memory:");
    expect(sqlite).toBeInstanceOf(SqliteFeedRegistry);
    expect(sqlite.url).toBe("sqlite::memory:");
    await Promise.all([memory.close(), sqlite.close()]);
  });

  it.each(["http://127.0.0.1/", "memory://elsewhere", "postgres://db/portico", "portico.db", ""])(
    "refuses %j with INVALID_OPTIONS",
    async (url) => {
      await expect(createRegistry(url)).rejects.toMatchObject({
        code: "INVALID_OPTIONS",
        data: { schemes: ["memory://", "sqlite:", "redis://"] },
      });
    },
  );

  it.each(["memory://", "sqlite::memory:"])(
    "refuses a history that is not a positive integer (%s)",
    async (url) => {
      for (const history of [0, -1, 1.5]) {
        await expect(createRegistry(url, { history })).rejects.toMatchObject({
          code: "INVALID_OPTIONS",
        });
      }
    },
  );

  it("names the package to install when a driver is missing", async () => {
    await expect(
      loadOptional("portico-no-such-driver", "portico-no-such-driver@1"),
    ).rejects.toMatchObject({
      code: "INVALID_OPTIONS",
      data: { package: "portico-no-such-driver", install: "portico-no-such-driver@1" },
    });
    const path = await loadOptional<typeof NodePath>("node:path", "-");
    expect(typeof path.join).toBe("function");
  });

  it("loads neither driver for the root entry or memory://, and each only for its own URL", async () => {
    const script = fileURLToPath(new URL("../helpers/loaded-drivers.ts", import.meta.url));
    const urls = ["memory://", "sqlite::memory:", "redis://127.0.0.1:1/0"];
    const { stdout } = await run(process.execPath, ["--import", "tsx", script, ...urls], {
      timeout: 20_000,
    });
    expect(JSON.parse(stdout)).toEqual({
      "src/index": [],
      "memory://": [],
      "sqlite::memory:": ["better-sqlite3"],
      "redis://127.0.0.1:1/0": ["ioredis", "better-sqlite3"],
    });
  });
});
