/**
 * The conformance suite every Registry backend must pass (Hono runs one router suite over all its
 * routers). A backend's test file calls `describeRegistryConformance("SqliteRegistry", () => ...)`.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { AppRecord, Registry } from "../../src/registry/registry.js";

/** A record with a non-trivial endpoints map, as the gateway stores it. */
export function appRecord(name: string, url = `http://127.0.0.1:1/${name}`): AppRecord {
  return {
    name,
    url,
    endpoints: {
      echo: {
        name: "echo",
        path: "/echo",
        methods: ["POST"],
        input_schema: { type: "object", properties: { message: { type: "string" } } },
        output_schema: null,
        description: `echo of ${name}`,
      },
    },
  };
}

async function names(registry: Registry): Promise<string[]> {
  return (await registry.list()).map((r) => r.name);
}

/** Defines the conformance tests for the backend `create` builds (a fresh, empty one per test). */
export function describeRegistryConformance(
  label: string,
  create: () => Registry | Promise<Registry>,
): void {
  describe(`${label} conforms to Registry`, () => {
    let registry: Registry;
    const open = async (): Promise<Registry> => (registry = await create());

    afterEach(async () => {
      await registry?.close?.();
    });

    it("starts empty", async () => {
      expect(await (await open()).list()).toEqual([]);
    });

    it("returns what was put, unchanged", async () => {
      const record = appRecord("alpha");
      await (await open()).put(record);
      expect(await registry.list()).toEqual([structuredClone(record)]);
    });

    it("lists apps in registration order", async () => {
      await open();
      for (const name of ["charlie", "alpha", "bravo"]) await registry.put(appRecord(name));
      expect(await names(registry)).toEqual(["charlie", "alpha", "bravo"]);
    });

    it("replaces an app of the same name in place: one entry, the new record, first position", async () => {
      await open();
      await registry.put(appRecord("alpha", "http://127.0.0.1:1/old"));
      await registry.put(appRecord("bravo"));
      await registry.put(appRecord("alpha", "http://127.0.0.1:2/new"));
      const list = await registry.list();
      expect(list.map((r) => [r.name, r.url])).toEqual([
        ["alpha", "http://127.0.0.1:2/new"],
        ["bravo", "http://127.0.0.1:1/bravo"],
      ]);
    });

    it("deletes an app and says whether it existed", async () => {
      await open();
      await registry.put(appRecord("alpha"));
      await registry.put(appRecord("bravo"));
      expect(await registry.delete("alpha")).toBe(true);
      expect(await registry.delete("alpha")).toBe(false);
      expect(await registry.delete("never")).toBe(false);
      expect(await names(registry)).toEqual(["bravo"]);
    });

    it("puts a deleted name back at the end", async () => {
      await open();
      for (const name of ["alpha", "bravo"]) await registry.put(appRecord(name));
      await registry.delete("alpha");
      await registry.put(appRecord("alpha"));
      expect(await names(registry)).toEqual(["bravo", "alpha"]);
    });

    it("returns a snapshot: later writes do not change an earlier list", async () => {
      await open();
      await registry.put(appRecord("alpha"));
      const before = await registry.list();
      await registry.put(appRecord("bravo"));
      await registry.delete("alpha");
      expect(before.map((r) => r.name)).toEqual(["alpha"]);
    });
  });
}
