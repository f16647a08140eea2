import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RemoteError, UpstreamNotAllowedError, ValidationError } from "../../src/errors.js";
import { UpstreamGuard } from "../../src/gateway/upstream/guard.js";
import { Upstreams } from "../../src/gateway/upstream/upstreams.js";
import { discover } from "../../src/gateway/upstream/discovery.js";
import type { DiscoverOptions } from "../../src/gateway/upstream/discovery.js";
import { findFreePort } from "../../src/launcher/ports.js";
import { expectRejects } from "../helpers/expect-error.js";
import { startEcho } from "../helpers/fixtures.js";
import { startGatewayStack } from "../helpers/gateway-stack.js";
import type { GatewayStack, Untyped } from "../helpers/gateway-stack.js";
import { sendJson, startPlainApp } from "../helpers/plain-app.js";
import { startOpenApiApp } from "../fixtures/openapi-app.js";
import type { OpenApiApp } from "../fixtures/openapi-app.js";

type Json = Record<string, any>;

const OPTIONS: DiscoverOptions = {
  timeout: 10_000,
  maxBytes: 1024 * 1024,
  via: "1.1 test-gateway",
};

/** An upstream module as the gateway builds it (default guard: loopback and private ranges). */
function upstreams(allowed?: string[]): Upstreams & AsyncDisposable {
  const made = new Upstreams({
    guard: new UpstreamGuard(allowed ? { allowed } : {}),
    connections: 4,
    connectTimeout: 2_000,
    upstreamTimeout: 5_000,
  });
  return Object.assign(made, { [Symbol.asyncDispose]: () => made.close() });
}

/** A document with one operation whose body refers to `ref` (left unresolved: external). */
function documentWithRef(ref: string): Json {
  return {
    openapi: "3.1.0",
    info: { title: "ext", version: "1" },
    paths: {
      "/x": {
        post: {
          operationId: "x",
          requestBody: { content: { "application/json": { schema: { $ref: ref } } } },
          responses: { 200: { description: "ok" } },
        },
      },
    },
  };
}

describe("discovery tells Portico, OpenAPI and plain HTTP apps apart", () => {
  it("derives the endpoints of a fastify app described by @fastify/swagger (3.0 and 3.1)", async () => {
    await using pools = upstreams();
    for (const version of ["3.0.3", "3.1.0"]) {
      await using app = await startOpenApiApp({ version });
      const found = await discover(pools, app.url, OPTIONS);
      expect(found.kind).toBe("openapi");
      expect(found.error).toBeUndefined();
      expect(Object.keys(found.endpoints!)).toEqual([
        "getItem",
        "delete_items_id",
        "create_item",
        "setTags",
      ]);
      expect(found.endpoints!.getItem!.http).toEqual({
        method: "GET",
        path: "/items/{id}",
        parameters: [
          { name: "id", in: "path" },
          { name: "verbose", in: "query" },
          { name: "fields", in: "query" },
        ],
        body: null,
      });
      // The $ref'd body (fastify.addSchema) is resolved and its fields spread.
      expect(found.endpoints!.create_item!.input_schema).toMatchObject({
        properties: { name: { type: "string", minLength: 1 }, note: { type: ["string", "null"] } },
        required: ["name"],
      });
      // Asked whether it is a Portico app, then only its document was read.
      expect(app.seen.map((r) => `${r.method} ${r.url}`)).toEqual(["POST /detailed_endpoints"]);
    }
  });

  it("reads a Portico app's detailed_endpoints and server_id, and nothing else", async () => {
    await using pools = upstreams();
    await using echo = await startEcho();
    const found = await discover(pools, echo.url, OPTIONS);
    expect(found).toMatchObject({ kind: "portico", serverId: echo.service.id });
    expect(Object.keys(found.endpoints!)).toEqual(["echo"]);
  });

  it("calls an app with none of them plain HTTP, quietly, after asking each", async () => {
    await using pools = upstreams();
    await using mirror = await startPlainApp(); // answers JSON that is no API description
    await using empty = await startPlainApp((_req, res) => void res.writeHead(404).end());
    for (const app of [mirror, empty]) {
      expect(await discover(pools, app.url, OPTIONS)).toEqual({
        kind: "http",
        endpoints: undefined,
      });
      expect(app.received.map((r) => `${r.method} ${r.url}`)).toEqual([
        "POST /detailed_endpoints",
        "GET /openapi.json",
        "POST /mcp",
      ]);
    }
  });

  it("does not probe an app that is not running", async () => {
    await using pools = upstreams();
    const url = `http://127.0.0.1:${await findFreePort()}`;
    expect(await discover(pools, url, OPTIONS)).toEqual({ kind: "http", endpoints: undefined });
  });

  it.each([
    ["a document that breaks the specification", JSON.stringify({ openapi: "3.0.3", paths: {} })],
    ["a broken $ref", JSON.stringify(documentWithRef("#/components/schemas/Gone"))],
    ["JSON that does not parse", '{"openapi": "3.0.3", '],
    [
      "Swagger 2.0",
      JSON.stringify({ swagger: "2.0", info: { title: "t", version: "1" }, paths: {} }),
    ],
  ])(
    "registers an app whose /openapi.json is %s as plain HTTP with OPENAPI_INVALID",
    async (_, document) => {
      await using pools = upstreams();
      await using app = await startOpenApiApp({ document });
      const found = await discover(pools, app.url, OPTIONS);
      expect(found.kind).toBe("http");
      expect(found.endpoints).toBeUndefined();
      expect(found.error?.code).toBe("OPENAPI_INVALID");
    },
  );

  it("refuses a document over discoveryMaxBytes with DISCOVERY_TOO_LARGE", async () => {
    await using pools = upstreams();
    await using app = await startOpenApiApp();
    const found = await discover(pools, app.url, { ...OPTIONS, maxBytes: 512 });
    expect(found.kind).toBe("http");
    expect(found.error?.code).toBe("DISCOVERY_TOO_LARGE");
  });

  it("reads the document from the URL given at registration, at another origin too", async () => {
    await using pools = upstreams();
    await using app = await startOpenApiApp({ documentPath: "/docs/json" });
    const document: unknown = await (await fetch(`${app.url}/docs/json`)).json();
    await using docs = await startPlainApp((_req, res) => sendJson(res, 200, document));
    const relative = await discover(pools, app.url, { ...OPTIONS, openapi: "docs/json" });
    expect(relative.kind).toBe("openapi");
    const elsewhere = await discover(pools, app.url, { ...OPTIONS, openapi: `${docs.url}/spec` });
    expect(elsewhere.kind).toBe("openapi");
    expect(docs.received.map((r) => `${r.method} ${r.url}`)).toEqual(["GET /spec"]);
    // Named but missing is an error, unlike a missing /openapi.json.
    const missing = await discover(pools, app.url, { ...OPTIONS, openapi: "/nothing-here" });
    expect(missing.kind).toBe("http");
    expect(missing.error?.code).toBe("OPENAPI_INVALID");
  });

  it("checks a document URL at another origin with the SSRF guard: refused, nothing sent", async () => {
    await using pools = upstreams(["127.0.0.1/32"]);
    await using app = await startPlainApp((_req, res) => void res.writeHead(404).end());
    const openapi = "http://169.254.169.254/latest/openapi.json";
    await expectRejects(
      discover(pools, app.url, { ...OPTIONS, openapi }),
      UpstreamNotAllowedError,
      "UPSTREAM_NOT_ALLOWED",
    );
  });

  it("never fetches an external $ref of the document", async () => {
    let fetched = 0;
    const target = createServer((_req, res) => {
      fetched++;
      res.writeHead(200, { "content-type": "application/json" }).end('{"type":"object"}');
    });
    await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = target.address() as AddressInfo;
      const document = JSON.stringify(documentWithRef(`http://127.0.0.1:${port}/schema.json`));
      await using pools = upstreams();
      await using app = await startOpenApiApp({ document });
      const found = await discover(pools, app.url, OPTIONS);
      expect(found.kind).toBe("openapi");
      // Unfollowed, the reference accepts anything rather than failing every call.
      expect(found.endpoints!.x!.input_schema).toMatchObject({ properties: { body: {} } });
      expect(fetched).toBe(0);
    } finally {
      await new Promise((resolve) => target.close(resolve));
    }
  });
});

type Items = Untyped<"getItem" | "create_item" | "setTags" | "delete_items_id">;

describe("an OpenAPI app through a gateway", () => {
  let stack: GatewayStack<{ items: Items; broken: Untyped<never> }>;
  let app: OpenApiApp;
  let broken: OpenApiApp;

  beforeAll(async () => {
    stack = await startGatewayStack();
    app = await startOpenApiApp();
    broken = await startOpenApiApp({ document: '{"openapi":"3.0.3","info":{}}' });
  });
  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
    await app?.close();
    await broken?.close();
  });

  it("registers with the derived endpoints", async () => {
    const info = await stack.gw.registerApp("items", app.url);
    expect(info.discovered).toBe(true);
    expect(Object.keys(info.endpoints)).toEqual([
      "getItem",
      "delete_items_id",
      "create_item",
      "setTags",
    ]);
  });

  it("turns a call into a GET with path and query parameters", async () => {
    const reply = await stack.gw.items.getItem({ id: 1, verbose: true, fields: ["a", "b c"] });
    expect(reply).toEqual({
      id: 1,
      name: "kettle",
      price: 20,
      note: null,
      verbose: true,
      fields: ["a", "b c"],
    });
    expect(app.seen.at(-1)).toMatchObject({
      method: "GET",
      url: "/items/1?verbose=true&fields=a&fields=b%20c",
    });
  });

  it("turns a call into a POST with the $ref'd body's fields", async () => {
    const reply = (await stack.gw.items.create_item({ name: "lamp", price: 3 })) as Json;
    expect(reply).toMatchObject({ name: "lamp", price: 3 });
    expect(app.seen.at(-1)).toEqual({
      method: "POST",
      url: "/items",
      body: { name: "lamp", price: 3 },
    });
  });

  it("encodes path parameters and sends a non-object body as it is", async () => {
    const reply = await stack.gw.items.setTags({ id: "a b&c", body: ["x", "y"] });
    expect(reply).toEqual({ id: "a b&c", tags: ["x", "y"] });
    expect(app.seen.at(-1)).toMatchObject({
      method: "PUT",
      url: "/items/a%20b%26c/tags",
      body: ["x", "y"],
    });
  });

  it("refuses bad input with VALIDATION_FAILED before any request", async () => {
    const seen = app.seen.length;
    const gatewayRequests = stack.requests.length;
    await expectRejects(
      stack.gw.items.create_item({ price: -1 }),
      ValidationError,
      "VALIDATION_FAILED",
    );
    await expectRejects(
      stack.gw.items.getItem({ id: "one" }),
      ValidationError,
      "VALIDATION_FAILED",
    );
    expect(app.seen.length).toBe(seen);
    expect(stack.requests.length).toBe(gatewayRequests);
  });

  it("gives a non-2xx reply of the app as a RemoteError with its HTTP status", async () => {
    const error = await expectRejects(
      stack.gw.items.getItem({ id: 404 }),
      RemoteError,
      "REMOTE_ERROR",
    );
    expect(error.status).toBe(404);
    expect(error.data).toMatchObject({ body: { message: "no item 404" } });
  });

  it("is listed by every client, built from the wire, as kind openapi", async () => {
    await using other = await stack.connect();
    expect(await other.items.getItem({ id: 1 })).toMatchObject({ id: 1 });
    const [listed] = await other.listAppsWithSchemas();
    expect(listed).toMatchObject({ name: "items", kind: "openapi" });
  });

  it("registers an app whose /openapi.json is broken, with OPENAPI_INVALID", async () => {
    const info = await stack.gw.registerApp("broken", broken.url);
    expect(info.discovered).toBe(false);
    expect(info.discovery_error?.code).toBe("OPENAPI_INVALID");
    expect(info.endpoints).toEqual({});
  });

  it("takes the document URL given at registration", async () => {
    await using moved = await startOpenApiApp({ documentPath: "/spec.json" });
    const openapi = `${moved.url}/spec.json`;
    const info = await stack.gw.register_app({ name: "moved", url: moved.url, openapi });
    expect(info).toMatchObject({ kind: "openapi", openapi, discovered: true });
  });
});
