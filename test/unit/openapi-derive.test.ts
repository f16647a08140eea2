import { describe, expect, it } from "vitest";
import { z } from "zod";
import { HTTP_METHODS } from "../../src/contract/endpoint.js";
import type { EndpointDescriptor, HttpBinding } from "../../src/contract/endpoint.js";
import { endpointDescriptorSchema } from "../../src/contract/builtins.js";
import { specsFromDescriptors } from "../../src/client/create-client.js";
import { toHttpRequest } from "../../src/client/http-endpoint.js";
import { jsonSchemaValidator } from "../../src/client/json-schema-validator.js";
import { DiscoveryTooLargeError, OpenApiInvalidError, ValidationError } from "../../src/errors.js";
import { endpointsFromOpenApi } from "../../src/gateway/upstream/openapi.js";
import { deriveEndpoints } from "../../src/gateway/upstream/openapi-derive.js";
import { expectRejects, expectThrows } from "../helpers/expect-error.js";

type Json = Record<string, any>;

const OK = { description: "ok" };
const URL = "http://app.test/openapi.json";

/** An OpenAPI document around `paths` (and `components`). */
function api(paths: Json, components: Json = {}, openapi = "3.0.3"): Json {
  return { openapi, info: { title: "t", version: "1" }, paths, components };
}

/** Endpoints of a document (assumed valid: validation is checked below, through the parser). */
function derive(doc: Json, maxNodes = 100_000): Record<string, EndpointDescriptor> {
  return deriveEndpoints(doc, { url: URL, maxNodes });
}

/** Validated by @readme/openapi-parser first (in a worker thread), then derived. */
function read(doc: Json): Promise<Record<string, EndpointDescriptor>> {
  return endpointsFromOpenApi(doc, { url: URL, maxNodes: 100_000, timeoutMs: 20_000 });
}

/** `json` content holding `schema`. */
function json(schema: Json): Json {
  return { "application/json": { schema } };
}

function validate(
  schema: unknown,
  value: unknown,
): ReturnType<ReturnType<typeof jsonSchemaValidator>> {
  return jsonSchemaValidator(schema as Json)(value);
}

describe("method names", () => {
  it("makes operationIds identifiers, falls back to method and path, and dedupes in order", () => {
    const endpoints = derive(
      api({
        "/": { get: { responses: { 200: OK } } },
        "/items/{id}": {
          parameters: [{ name: "id", in: "path", required: true, schema: { type: "string" } }],
          get: { responses: { 200: OK } },
          put: { operationId: "get_items_id", responses: { 200: OK } },
          delete: { operationId: "1st.remove", responses: { 200: OK } },
        },
        "/a": { post: { operationId: "create-item", responses: { 200: OK } } },
        "/b": { post: { operationId: "create_item", responses: { 200: OK } } },
      }),
    );
    // An operationId keeps its name even when a fallback before it would have taken it.
    expect(Object.keys(endpoints)).toEqual([
      "get",
      "get_items_id_2",
      "get_items_id",
      "_1st_remove",
      "create_item",
      "create_item_2",
    ]);
    for (const [name, d] of Object.entries(endpoints)) {
      expect(d.name).toBe(name);
      expect(name).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/);
    }
  });

  it("never takes a built-in endpoint's name or a client member's", () => {
    const ids = ["status", "close", "call", "name", "then", "toString", "__proto__", "heartbeat"];
    const paths = Object.fromEntries(
      ids.map((id, i) => [`/p${i}`, { get: { operationId: id, responses: { 200: OK } } }]),
    );
    const endpoints = derive(api(paths));
    expect(Object.keys(endpoints)).toEqual(ids.map((id) => `${id}_2`));
  });

  it("is the same for the same document", () => {
    const doc = api({
      "/x": { get: { responses: { 200: OK } }, post: { responses: { 200: OK } } },
      "/x/{y}": {
        get: {
          parameters: [{ name: "y", in: "path", required: true, schema: { type: "string" } }],
          responses: { 200: OK },
        },
      },
    });
    expect(derive(structuredClone(doc))).toEqual(derive(structuredClone(doc)));
  });
});

describe("input: one object of parameters and body", () => {
  it("merges path-level and operation parameters, the operation's winning; headers left out", () => {
    const { find } = derive(
      api({
        "/items/{id}": {
          parameters: [
            { name: "id", in: "path", required: true, schema: { type: "string" } },
            { name: "limit", in: "query", schema: { type: "string" } },
          ],
          get: {
            operationId: "find",
            parameters: [
              { name: "limit", in: "query", required: true, schema: { type: "integer" } },
              { name: "tag", in: "query", schema: { type: "array", items: { type: "string" } } },
              { name: "x-trace", in: "header", schema: { type: "string" } },
              { name: "session", in: "cookie", schema: { type: "string" } },
            ],
            responses: { 200: OK },
          },
        },
      }),
    );
    expect(find!.input_schema).toMatchObject({
      type: "object",
      properties: {
        id: { type: "string" },
        limit: { type: "integer" },
        tag: { type: "array", items: { type: "string" } },
      },
      required: ["id", "limit"],
      additionalProperties: false,
    });
    expect(Object.keys(find!.input_schema!.properties as Json)).toEqual(["id", "limit", "tag"]);
    expect(find!.http).toEqual({
      method: "GET",
      path: "/items/{id}",
      parameters: [
        { name: "id", in: "path" },
        { name: "limit", in: "query" },
        { name: "tag", in: "query" },
      ],
      body: null,
    });
    expect(find!.methods).toEqual(["GET"]);
    expect(find!.path).toBe("/items/{id}");
  });

  it("adds undeclared path placeholders as required strings", () => {
    const { get_a_b } = derive(api({ "/a/{b}": { get: { responses: { 200: OK } } } }));
    expect(get_a_b!.input_schema).toMatchObject({
      properties: { b: { type: "string" } },
      required: ["b"],
    });
  });

  it("gives a query parameter that shares a path parameter's name its own property", () => {
    const { both } = derive(
      api({
        "/x/{id}": {
          get: {
            operationId: "both",
            parameters: [
              { name: "id", in: "path", required: true, schema: { type: "integer" } },
              { name: "id", in: "query", schema: { type: "string" } },
            ],
            responses: { 200: OK },
          },
        },
      }),
    );
    expect(Object.keys(both!.input_schema!.properties as Json)).toEqual(["id", "query_id"]);
    expect(both!.http!.parameters).toEqual([
      { name: "id", in: "path" },
      { name: "id", in: "query", property: "query_id" },
    ]);
  });

  const item = {
    type: "object",
    required: ["name"],
    properties: { name: { type: "string" }, price: { type: "number" } },
  };

  it("spreads an object body's fields next to the parameters, required lists merged", () => {
    const { update } = derive(
      api({
        "/items/{id}": {
          put: {
            operationId: "update",
            parameters: [{ name: "id", in: "path", required: true, schema: { type: "integer" } }],
            requestBody: { required: true, content: json(item) },
            responses: { 200: OK },
          },
        },
      }),
    );
    expect(update!.http!.body).toBe("fields");
    expect(update!.input_schema).toMatchObject({
      properties: { id: { type: "integer" }, name: { type: "string" }, price: { type: "number" } },
      required: ["id", "name"],
    });
    expect(update!.input_schema!.additionalProperties).toBeUndefined();
  });

  it.each([
    ["an array body", { type: "array", items: { type: "string" } }, true],
    ["a string body", { type: "string" }, false],
    [
      "an object body with a field named like a parameter",
      { type: "object", properties: { id: { type: "string" } } },
      true,
    ],
    ["an object body combined with allOf", { allOf: [item] }, true],
    ["an optional body with required fields", item, false],
  ])("puts %s under `body`", (_, schema, required) => {
    const { put } = derive(
      api({
        "/items/{id}": {
          put: {
            operationId: "put",
            parameters: [{ name: "id", in: "path", required: true, schema: { type: "integer" } }],
            requestBody: { required, content: json(schema) },
            responses: { 200: OK },
          },
        },
      }),
    );
    expect(put!.http!.body).toBe("value");
    expect((put!.input_schema!.properties as Json).body).toEqual(schema);
    expect(put!.input_schema!.required).toEqual(required ? ["id", "body"] : ["id"]);
    expect(put!.input_schema!.additionalProperties).toBe(false);
  });

  it("renames a parameter called `body` when the body goes under `body`", () => {
    const { tags } = derive(
      api({
        "/t": {
          post: {
            operationId: "tags",
            parameters: [{ name: "body", in: "query", schema: { type: "string" } }],
            requestBody: { required: true, content: json({ type: "array" }) },
            responses: { 200: OK },
          },
        },
      }),
    );
    expect(tags!.http!.parameters).toEqual([{ name: "body", in: "query", property: "query_body" }]);
    expect(Object.keys(tags!.input_schema!.properties as Json)).toEqual(["query_body", "body"]);
  });

  it("leaves out operations whose body is not JSON (raw calls still reach them)", () => {
    const endpoints = derive(
      api({
        "/upload": {
          post: {
            operationId: "upload",
            requestBody: { content: { "multipart/form-data": { schema: { type: "object" } } } },
            responses: { 200: OK },
          },
          put: {
            operationId: "vendorJson",
            requestBody: { content: { "application/vnd.x+json": { schema: { type: "object" } } } },
            responses: { 200: OK },
          },
        },
      }),
    );
    expect(Object.keys(endpoints)).toEqual(["vendorJson"]);
  });
});

describe("schemas", () => {
  it("resolves a $ref'd body, parameter and response, deeper $refs moved to $defs", () => {
    const { create } = derive(
      api(
        {
          "/items": {
            post: {
              operationId: "create",
              parameters: [{ $ref: "#/components/parameters/Dry" }],
              requestBody: { $ref: "#/components/requestBodies/NewItem" },
              responses: { 201: { $ref: "#/components/responses/Created" } },
            },
          },
        },
        {
          parameters: { Dry: { name: "dry", in: "query", schema: { type: "boolean" } } },
          requestBodies: {
            NewItem: { required: true, content: json({ $ref: "#/components/schemas/Item" }) },
          },
          responses: {
            Created: {
              description: "made",
              content: json({ $ref: "#/components/schemas/Stored" }),
            },
          },
          schemas: {
            Money: { type: "number", minimum: 0 },
            Item: {
              type: "object",
              required: ["name"],
              properties: {
                name: { type: "string" },
                price: { $ref: "#/components/schemas/Money" },
              },
            },
            Stored: {
              allOf: [{ $ref: "#/components/schemas/Item" }, { type: "object", required: ["id"] }],
            },
          },
        },
      ),
    );
    expect(create!.http).toMatchObject({
      body: "fields",
      parameters: [{ name: "dry", in: "query" }],
    });
    expect(create!.input_schema).toMatchObject({
      properties: {
        dry: { type: "boolean" },
        name: { type: "string" },
        price: { $ref: "#/$defs/Money" },
      },
      required: ["name"],
      $defs: { Money: { type: "number", minimum: 0 } },
    });
    expect(create!.output_schema).toMatchObject({
      allOf: [{ $ref: "#/$defs/Item" }, { required: ["id"] }],
      $defs: { Item: { properties: { price: { $ref: "#/$defs/Money" } } }, Money: {} },
    });
    expect(validate(create!.input_schema, { name: "a", price: -1 }).ok).toBe(false);
    expect(validate(create!.input_schema, { name: "a", price: 1, dry: true }).ok).toBe(true);
    expect(validate(create!.output_schema, { name: "a", id: 1 }).ok).toBe(true);
    expect(validate(create!.output_schema, { name: "a" }).ok).toBe(false);
  });

  it("keeps recursive schemas recursive", () => {
    const { tree } = derive(
      api(
        {
          "/tree": {
            get: {
              operationId: "tree",
              responses: {
                200: { description: "t", content: json({ $ref: "#/components/schemas/Node" }) },
              },
            },
          },
        },
        {
          schemas: {
            Node: {
              type: "object",
              required: ["value"],
              properties: {
                value: { type: "integer" },
                children: { type: "array", items: { $ref: "#/components/schemas/Node" } },
              },
            },
          },
        },
      ),
    );
    const schema = tree!.output_schema!;
    expect(JSON.stringify(schema).length).toBeLessThan(1_000);
    expect(
      validate(schema, { value: 1, children: [{ value: 2, children: [{ value: 3 }] }] }).ok,
    ).toBe(true);
    expect(validate(schema, { value: 1, children: [{ value: 2, children: [{}] }] }).ok).toBe(false);
  });

  it("converts OpenAPI 3.0's nullable and boolean exclusive bounds to JSON Schema 2020-12", () => {
    const { put } = derive(
      api({
        "/x": {
          put: {
            operationId: "put",
            requestBody: {
              required: true,
              content: json({
                type: "object",
                properties: {
                  note: { type: "string", nullable: true },
                  level: { type: "string", enum: ["a", "b"], nullable: true },
                  owner: { allOf: [{ type: "object" }], nullable: true },
                  ratio: {
                    type: "number",
                    minimum: 0,
                    exclusiveMinimum: true,
                    maximum: 1,
                    exclusiveMaximum: false,
                  },
                  plain: { type: "string", nullable: false },
                  code: { type: "string", format: "currency", example: "EUR", "x-extra": 1 },
                  uuid: { type: "string", format: "uuid" },
                },
              }),
            },
            responses: { 200: OK },
          },
        },
      }),
    );
    const properties = put!.input_schema!.properties as Json;
    expect(properties.note).toEqual({ type: ["string", "null"] });
    expect(properties.level).toEqual({ type: ["string", "null"], enum: ["a", "b", null] });
    expect(properties.owner).toEqual({
      anyOf: [{ allOf: [{ type: "object" }] }, { type: "null" }],
    });
    expect(properties.ratio).toEqual({ type: "number", exclusiveMinimum: 0, maximum: 1 });
    expect(properties.plain).toEqual({ type: "string" });
    // Formats the client's validator does not know are dropped (ajv would warn about each).
    expect(properties.code).toEqual({ type: "string" });
    expect(properties.uuid).toEqual({ type: "string", format: "uuid" });
    const check = (value: Json): boolean => validate(put!.input_schema, value).ok;
    expect(check({ note: null, level: null, owner: null })).toBe(true);
    expect(check({ ratio: 0 })).toBe(false);
    expect(check({ plain: null })).toBe(false);
  });

  it("takes OpenAPI 3.1 schemas as they are (already JSON Schema 2020-12)", () => {
    const { get } = derive(
      api(
        {
          "/x": {
            get: {
              operationId: "get",
              parameters: [
                {
                  name: "n",
                  in: "query",
                  schema: { type: ["integer", "null"], exclusiveMinimum: 0 },
                },
              ],
              responses: {
                200: {
                  description: "x",
                  content: json({ type: "object", properties: { v: { const: 1 } } }),
                },
              },
            },
          },
        },
        {},
        "3.1.0",
      ),
    );
    expect((get!.input_schema!.properties as Json).n).toEqual({
      type: ["integer", "null"],
      exclusiveMinimum: 0,
    });
    expect(validate(get!.input_schema, { n: 0 }).ok).toBe(false);
    expect(validate(get!.output_schema, { v: 2 }).ok).toBe(false);
  });

  it("does not require read-only fields in the input nor write-only ones in the output", () => {
    const user = {
      type: "object",
      required: ["id", "password", "name"],
      properties: {
        id: { type: "integer", readOnly: true },
        password: { type: "string", writeOnly: true },
        name: { type: "string" },
      },
    };
    const { create } = derive(
      api({
        "/users": {
          post: {
            operationId: "create",
            requestBody: { required: true, content: json(user) },
            responses: { 201: { description: "u", content: json(user) } },
          },
        },
      }),
    );
    expect(create!.input_schema!.required).toEqual(["password", "name"]);
    expect(create!.output_schema!.required).toEqual(["id", "name"]);
  });

  it("takes the first 2xx response with JSON content as the output, else null", () => {
    const endpoints = derive(
      api({
        "/a": {
          get: {
            operationId: "a",
            responses: {
              "404": { description: "no", content: json({ type: "string" }) },
              "204": { description: "none" },
              "201": { description: "made", content: json({ type: "integer" }) },
              "2XX": { description: "any", content: json({ type: "boolean" }) },
            },
          },
        },
        "/b": {
          get: {
            operationId: "b",
            responses: {
              "200": {
                description: "t",
                content: { "text/plain": { schema: { type: "string" } } },
              },
            },
          },
        },
        "/c": {
          get: {
            operationId: "c",
            responses: { "2XX": { description: "any", content: json({ type: "boolean" }) } },
          },
        },
        "/d": {
          get: {
            operationId: "d",
            summary: " Summary ",
            description: "Long",
            responses: { default: { description: "x", content: json({ type: "string" }) } },
          },
        },
      }),
    );
    expect(endpoints.a!.output_schema).toMatchObject({ type: "integer" });
    expect(endpoints.b!.output_schema).toBeNull();
    expect(endpoints.c!.output_schema).toMatchObject({ type: "boolean" });
    expect(endpoints.d!.output_schema).toBeNull();
    expect(endpoints.d!.description).toBe("Summary");
    expect(endpoints.c!.description).toBe("");
  });

  it("refuses a document whose derived schemas would exceed the budget", () => {
    const paths = Object.fromEntries(
      Array.from({ length: 50 }, (_, i) => [
        `/p${i}`,
        {
          get: {
            responses: {
              200: {
                description: "x",
                content: json({ type: "object", properties: { a: { type: "string" } } }),
              },
            },
          },
        },
      ]),
    );
    expectThrows(() => derive(api(paths), 20), DiscoveryTooLargeError, "DISCOVERY_TOO_LARGE");
  });
});

describe("documents that are refused with OPENAPI_INVALID", () => {
  it.each([
    [
      "a broken $ref",
      api({ "/a": { get: { responses: { 200: { $ref: "#/components/responses/Gone" } } } } }),
    ],
    ["a missing required field", { openapi: "3.0.3", info: { title: "t" }, paths: {} }],
    ["Swagger 2.0", { swagger: "2.0", info: { title: "t", version: "1" }, paths: {} }],
    ["an unsupported version", { openapi: "4.0.0", info: { title: "t", version: "1" }, paths: {} }],
    ["not an object", ["openapi"]],
  ])("%s", async (_, doc) => {
    await expectRejects(read(doc as Json), OpenApiInvalidError, "OPENAPI_INVALID");
  });

  it("tolerates what the derivation copes with (duplicate operationIds, undeclared placeholders)", async () => {
    const endpoints = await read(
      api({
        "/a/{x}": { get: { operationId: "same", responses: { 200: OK } } },
        "/b": { get: { operationId: "same", responses: { 200: OK } } },
      }),
    );
    expect(Object.keys(endpoints)).toEqual(["same", "same_2"]);
  });
});

describe("the descriptor's `http` field on the wire", () => {
  /** endpointDescriptorSchema as it was before `http` (a client of the landed version). */
  const oldDescriptorSchema = z.object({
    name: z.string(),
    path: z.string(),
    methods: z.array(z.enum(HTTP_METHODS)),
    input_schema: z.record(z.string(), z.unknown()).nullable(),
    output_schema: z.record(z.string(), z.unknown()).nullable(),
    description: z.string().default(""),
  });

  it("is read by clients that predate it (an extra key), and kept by this one", () => {
    const { getItem } = derive(
      api({
        "/items/{id}": {
          get: {
            operationId: "getItem",
            parameters: [{ name: "id", in: "path", required: true, schema: { type: "integer" } }],
            responses: { 200: OK },
          },
        },
      }),
    );
    const wire = JSON.parse(JSON.stringify(getItem));
    const old = oldDescriptorSchema.parse(wire);
    expect(old).toMatchObject({ name: "getItem", path: "/items/{id}", methods: ["GET"] });
    expect(endpointDescriptorSchema.parse(wire)).toEqual(wire);
    const [spec] = specsFromDescriptors({ getItem: wire });
    expect(spec).toMatchObject({ name: "getItem", method: "GET", http: wire.http });
  });
});

describe("a call turned back into the app's HTTP request", () => {
  const binding: HttpBinding = {
    method: "PUT",
    path: "/items/{id}/parts/{part}",
    parameters: [
      { name: "id", in: "path" },
      { name: "part", in: "path" },
      { name: "tag", in: "query" },
      { name: "filter", in: "query" },
      { name: "id", in: "query", property: "query_id" },
    ],
    body: "fields",
  };

  it("substitutes and encodes path parameters, repeats arrays in the query, sends the rest", () => {
    const request = toHttpRequest(
      binding,
      {
        id: "a b/c",
        part: 7,
        tag: ["x", "y&z"],
        filter: { state: "on" },
        query_id: true,
        name: "n",
      },
      "app.put",
    );
    expect(request).toEqual({
      method: "PUT",
      path: "/items/a%20b%2Fc/parts/7?tag=x&tag=y%26z&state=on&id=true",
      body: { name: "n" },
    });
  });

  it("sends no body without one, and the `body` property as the body", () => {
    expect(
      toHttpRequest({ ...binding, body: null }, { id: 1, part: 2, x: 1 }, "l").body,
    ).toBeUndefined();
    expect(
      toHttpRequest({ ...binding, body: "value" }, { id: 1, part: 2, body: [1] }, "l").body,
    ).toEqual([1]);
    expect(toHttpRequest(binding, { id: 1, part: 2 }, "l").path).toBe("/items/1/parts/2");
  });

  it("refuses a missing or empty path parameter with VALIDATION_FAILED", () => {
    const error = expectThrows(
      () => toHttpRequest(binding, { id: "", part: 1 }, "l"),
      ValidationError,
      "VALIDATION_FAILED",
    );
    expect(error.issues[0]!.path).toEqual(["id"]);
    expectThrows(
      () => toHttpRequest(binding, { id: 1 }, "l"),
      ValidationError,
      "VALIDATION_FAILED",
    );
  });
});
