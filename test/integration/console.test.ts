/**
 * The console's routes without a browser: the page and its built assets (public, with a strict
 * CSP and cache headers), the gateway's `/` index, and `console: false`. Relies on dist/console
 * (`npm test` builds first).
 */
import { tmpdir } from "node:os";
import Fastify from "fastify";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { gatewayCommandOptions } from "../../src/cli/commands/gateway.js";
import type { GatewayCommandOptions } from "../../src/cli/commands/gateway.js";
import { InvalidOptionsError } from "../../src/errors.js";
import { consoleDir, readConsoleFiles } from "../../src/gateway/console/console-files.js";
import { CONSOLE_CSP, registerConsoleRoutes } from "../../src/gateway/console/console-routes.js";
import { Gateway } from "../../src/gateway/gateway.js";
import { expectThrows } from "../helpers/expect-error.js";
import { startGateway } from "../helpers/fixtures.js";

const CALLER = "c".repeat(32);
const ADMIN = "a".repeat(32);

function get(url: string, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { redirect: "manual", ...init });
}

/** The `/console/assets/...` files the page names. */
function assetsOf(html: string): string[] {
  return [...html.matchAll(/(?:src|href)="(\/console\/assets\/[^"]+)"/g)].map((m) => m[1]!);
}

describe("GET /console", () => {
  it("serves the page to anyone, with a strict CSP and no caching, even with a caller token", async () => {
    await using gw = await startGateway({ callToken: CALLER, adminToken: ADMIN });
    for (const path of ["/console", "/console/"]) {
      const page = await get(gw.url + path);
      expect(page.status, path).toBe(200);
      expect(page.headers.get("content-type")).toMatch(/^text\/html/);
      expect(page.headers.get("content-security-policy")).toBe(CONSOLE_CSP);
      expect(page.headers.get("cache-control")).toBe("no-cache");
      expect(page.headers.get("x-content-type-options")).toBe("nosniff");
      const html = await page.text();
      // One script and one style sheet of its own; nothing inline, nothing from elsewhere.
      expect(assetsOf(html).length).toBeGreaterThanOrEqual(2);
      expect(html).not.toMatch(/<script>|<style>|https?:\/\//);
    }
    expect(CONSOLE_CSP).toContain("default-src 'self'");
    expect(CONSOLE_CSP).toContain("frame-ancestors 'none'");
    expect(CONSOLE_CSP).not.toContain("unsafe");
    expect((await get(`${gw.url}/console`, { method: "HEAD" })).status).toBe(200);
  });

  it("serves the built assets with their types, cached for good; unknown names get 404", async () => {
    await using gw = await startGateway();
    const html = await (await get(`${gw.url}/console`)).text();
    const types = new Set<string>();
    for (const path of assetsOf(html)) {
      const asset = await get(gw.url + path);
      expect(asset.status, path).toBe(200);
      expect(asset.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      types.add(asset.headers.get("content-type")!.split(";")[0]!);
      expect((await asset.arrayBuffer()).byteLength).toBeGreaterThan(100);
    }
    expect([...types].sort()).toEqual(["text/css", "text/javascript"]);
    for (const path of [
      "/console/assets/nothing.js",
      "/console/assets/..%2Findex.html",
      "/console/assets/.hidden",
    ]) {
      const missing = await get(gw.url + path);
      expect(missing.status, path).toBe(404);
      expect(((await missing.json()) as any).error.code).toBe("ENDPOINT_NOT_FOUND");
    }
  });

  it("is gone with console: false (and --no-console); the index stays without its link", async () => {
    await using gw = await startGateway({ console: false });
    expect((await get(`${gw.url}/console`)).status).toBe(404);
    expect((await get(`${gw.url}/console/assets/index.js`)).status).toBe(404);
    const index = await (await get(`${gw.url}/`)).text();
    expect(index).not.toContain('href="/console"');
    expect(index).toContain('href="/openapi.json"');
    const flags = { host: "127.0.0.1", port: 0, upstreamTimeout: 1_000, discoveryTimeout: 1_000 };
    expect(
      gatewayCommandOptions({ ...flags, console: false } as GatewayCommandOptions).console,
    ).toBe(false);
    expect(gatewayCommandOptions(flags as GatewayCommandOptions).console).toBeUndefined();
    expectThrows(
      () => new Gateway({ console: "no" as never }),
      InvalidOptionsError,
      "INVALID_OPTIONS",
    );
  });

  it("reserves the app name console: registering it is refused", async () => {
    await using gw = await startGateway();
    const reply = await get(`${gw.url}/register_app`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "console", url: "http://127.0.0.1:9" }),
    });
    expect(reply.status).toBe(400);
    expect(((await reply.json()) as any).error.code).toBe("INVALID_APP_NAME");
  });
});

describe("GET / on a gateway", () => {
  it("is a public index linking the console, the docs, the metrics and the OpenAPI document", async () => {
    await using gw = await startGateway({ callToken: CALLER, adminToken: ADMIN });
    const index = await get(`${gw.url}/`);
    expect(index.status).toBe(200);
    expect(index.headers.get("content-type")).toMatch(/^text\/html/);
    expect(index.headers.get("content-security-policy")).toMatch(/default-src 'none'/);
    const html = await index.text();
    for (const href of ["/console", "/docs", "/metrics", "/openapi.json"]) {
      expect(html).toContain(`href="${href}"`);
    }
  });
});

describe("the console's files", () => {
  it("are found next to the compiled gateway, or in dist/ when running from source", () => {
    const compiled = consoleDir("file:///pkg/dist/gateway/console/console-files.js");
    expect(pathToFileURL(compiled).href).toBe("file:///pkg/dist/console/");
    const source = consoleDir("file:///repo/src/gateway/console/console-files.ts");
    expect(pathToFileURL(source).href).toBe("file:///repo/dist/console/");
  });

  it("read as missing (503 CONSOLE_NOT_BUILT from the route) when there is no build", async () => {
    expect(await readConsoleFiles(`${tmpdir()}/portico-no-console-here/`)).toBeUndefined();
    expect(await readConsoleFiles(consoleDir())).toBeDefined();
  });

  it("answer 503 CONSOLE_NOT_BUILT on the page and its assets when not built; the index stays", async () => {
    const app = Fastify();
    registerConsoleRoutes(app, {
      console: true,
      links: [],
      title: "Gateway",
      dir: `${tmpdir()}/portico-no-console-here/`,
    });
    for (const url of ["/console", "/console/assets/index.js"]) {
      const reply = await app.inject({ url });
      expect(reply.statusCode, url).toBe(503);
      expect(reply.json<{ code: string }>().code).toBe("CONSOLE_NOT_BUILT");
    }
    expect((await app.inject({ url: "/" })).statusCode).toBe(200);
    await app.close();
  });
});
