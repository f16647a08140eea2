/**
 * The gateway's tool names (src/mcp/tool-names.ts): `<app>__<endpoint>` when it fits MCP's rule
 * (at most 128 of `[A-Za-z0-9_.-]`) and no earlier tool has it; else the app, the start of the
 * endpoint and `_` plus 8 hex digits of sha256("<app>/<endpoint>"), which every replica computes
 * alike.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { MAX_TOOL_NAME, gatewayToolName } from "../../src/mcp/tool-names.js";

const MCP_NAME = /^[A-Za-z0-9_.-]+$/;

function hash8(app: string, endpoint: string): string {
  return createHash("sha256").update(`${app}/${endpoint}`).digest("hex").slice(0, 8);
}

/** Names a list of (app, endpoint) pairs in order, as the gateway's catalogue does. */
function nameAll(pairs: [string, string][]): string[] {
  const taken = new Set<string>();
  return pairs.map(([app, endpoint]) => {
    const name = gatewayToolName(app, endpoint, taken);
    taken.add(name);
    return name;
  });
}

describe("gateway tool names", () => {
  it("is <app>__<endpoint> when it fits", () => {
    expect(gatewayToolName("echoer", "echo", new Set())).toBe("echoer__echo");
    expect(gatewayToolName("my-app_2", "get_item", new Map())).toBe("my-app_2__get_item");
    expect(MAX_TOOL_NAME).toBe(128);
  });

  it("keeps a name of exactly 128 characters, hashes one of 129", () => {
    const app = "a".repeat(64);
    const fits = "e".repeat(128 - 64 - 2);
    expect(gatewayToolName(app, fits, new Set())).toBe(`${app}__${fits}`);
    const over = `${fits}x`;
    const hashed = gatewayToolName(app, over, new Set());
    expect(hashed).not.toBe(`${app}__${over}`);
    expect(hashed.length).toBeLessThanOrEqual(128);
    expect(hashed).toMatch(MCP_NAME);
    expect(hashed.endsWith(`_${hash8(app, over)}`)).toBe(true);
  });

  it("hashes a long name into at most 128 allowed characters, keeping the app and the endpoint's start", () => {
    const app = "inventory";
    const endpoint = `list_${"very_long_".repeat(30)}items`;
    const name = gatewayToolName(app, endpoint, new Set());
    expect(name.length).toBeLessThanOrEqual(128);
    expect(name).toMatch(MCP_NAME);
    expect(name.startsWith(`${app}__list_very_long_`)).toBe(true);
    expect(name).toMatch(/_[0-9a-f]{8}$/);
    expect(name.endsWith(`_${hash8(app, endpoint)}`)).toBe(true);
    // Deterministic: every replica names it the same.
    expect(gatewayToolName(app, endpoint, new Set())).toBe(name);
  });

  it("two long endpoints with the same start get different names", () => {
    const head = "x".repeat(150);
    const [a, b] = nameAll([
      ["app", `${head}_one`],
      ["app", `${head}_two`],
    ]);
    expect(a).not.toBe(b);
    for (const name of [a!, b!]) {
      expect(name.length).toBeLessThanOrEqual(128);
      expect(name).toMatch(MCP_NAME);
    }
  });

  it("the collision a + b__c / a__b + c: the first in order keeps the plain name, the other is hashed", () => {
    // Code-point order of app names: "a" < "a__b".
    const [first, second] = nameAll([
      ["a", "b__c"],
      ["a__b", "c"],
    ]);
    expect(first).toBe("a__b__c");
    expect(second).not.toBe("a__b__c");
    expect(second).toBe(`a__b__c_${hash8("a__b", "c")}`);
    expect(second).toMatch(MCP_NAME);
    // The hash tells the two apart: reversed roles hash differently.
    expect(hash8("a", "b__c")).not.toBe(hash8("a__b", "c"));
  });

  it("replaces characters MCP does not allow in the hashed form", () => {
    const name = gatewayToolName("app", "with space/and:colon", new Set());
    expect(name).toMatch(MCP_NAME);
    expect(name.startsWith("app__with_space_and_colon_")).toBe(true);
  });
});
