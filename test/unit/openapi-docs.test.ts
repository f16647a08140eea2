import { describe, expect, it } from "vitest";
import { z } from "zod";
import { task } from "../../src/contract/task.js";
import { EchoService, echoTask } from "../../src/samples/echo-service.js";
import { Service } from "../../src/service/service.js";
import { inject } from "../helpers/inject.js";
import { openApiProblems } from "../helpers/openapi.js";

const { $schema: _in, ...echoInput } = echoTask.inputJsonSchema!;
const { $schema: _out, ...echoOutput } = echoTask.outputJsonSchema!;

async function openApi(service: Service): Promise<Record<string, any>> {
  const reply = await inject(service, "/openapi.json", { method: "GET" });
  expect(reply.status).toBe(200);
  return reply.body;
}

describe("/openapi.json", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    const doc = await openApi(new EchoService());
    expect(doc.openapi).toBe("3.1.0");
    expect(openApiProblems(doc)).toEqual([]);
  });

  it("has one path per endpoint, with the endpoint's methods", async () => {
    const service = new EchoService();
    const doc = await openApi(service);
    const endpoints = Object.values(service.describeEndpoints());
    expect(Object.keys(doc.paths).sort()).toEqual(endpoints.map((d) => d.path).sort());
    for (const d of endpoints) {
      expect(Object.keys(doc.paths[d.path])).toEqual(d.methods.map((m) => m.toLowerCase()));
    }
  });

  it("uses the task's schemas for the request body and the 200 reply", async () => {
    const op = (await openApi(new EchoService())).paths["/echo"].post;
    expect(op.requestBody.content["application/json"].schema).toEqual(echoInput);
    expect(op.responses["200"].content["application/json"].schema).toEqual(echoOutput);
    expect(op.responses["422"]).toBeDefined();
  });

  it("keeps operationIds unique even against endpoint names built to collide", async () => {
    const service = new Service().addEndpoint("status_get", () => null);
    expect(openApiProblems(await openApi(service))).toEqual([]);
  });

  it("documents 204 for an endpoint without an output schema", async () => {
    const service = new Service().addEndpoint(task({ name: "fire" }), () => undefined);
    const op = (await openApi(service)).paths["/fire"].post;
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(["200", "204"]));
    expect(op.requestBody).toBeUndefined();
  });

  it("stays valid for schemas with unions, records and nesting", async () => {
    const rich = task({
      name: "rich",
      input: z.object({ tags: z.record(z.string(), z.array(z.string())).optional() }),
      output: z.union([z.object({ ok: z.literal(true) }), z.object({ error: z.string() })]),
    });
    const service = new Service().addEndpoint(rich, () => ({ ok: true as const }));
    expect(openApiProblems(await openApi(service))).toEqual([]);
  });
});

describe("the document, for people", () => {
  it("puts the service's own endpoints first, under its tag, and the built-ins after", async () => {
    const doc = await openApi(new EchoService({ description: "Echoes `things`." }));
    expect(doc.tags.map((t: { name: string }) => t.name)).toEqual(["EchoService", "Built-in"]);
    expect(doc.tags[0].description).toBe("Echoes `things`.");
    expect(Object.keys(doc.paths)[0]).toBe("/echo");
    expect(doc.paths["/echo"].post.tags).toEqual(["EchoService"]);
    expect(doc.paths["/status"].get.tags).toEqual(["Built-in"]);
    expect(doc.servers).toEqual([expect.objectContaining({ url: "." })]);
  });

  it("summarises with the first sentence and keeps the description as Markdown", async () => {
    const long = task({
      name: "long",
      description: "Does `one` thing. Then explains **why** at length.",
    });
    const doc = await openApi(new Service().addEndpoint(long, () => null));
    const op = doc.paths["/long"].post;
    expect(op.summary).toBe("Does one thing.");
    expect(op.description).toBe("Does `one` thing. Then explains **why** at length.");
  });

  it("has request and reply examples made from the schemas", async () => {
    const op = (await openApi(new EchoService())).paths["/echo"].post;
    expect(op.requestBody.content["application/json"].example).toEqual({
      message: "string",
      delay: 0,
    });
    expect(op.responses["200"].content["application/json"].example).toEqual({ echoed: "string" });
  });

  it("lists the error codes an endpoint answers, in the shared Error schema", async () => {
    const doc = await openApi(new EchoService());
    expect(doc.components.schemas.Error.properties.error.required).toEqual(["code", "message"]);
    const failed = doc.paths["/echo"].post.responses["422"].content["application/json"];
    expect(failed.schema).toEqual({ $ref: "#/components/schemas/Error" });
    expect(failed.example.error.code).toBe("VALIDATION_FAILED");
    expect(doc.paths["/echo"].post.responses["401"]).toBeUndefined();
    expect(doc.components.securitySchemes).toBeUndefined();
  });

  it("declares bearer auth where a token is needed, and notes admin endpoints", async () => {
    const service = new EchoService({ callToken: "c".repeat(32), adminToken: "a".repeat(32) });
    const headers = { authorization: `Bearer ${"c".repeat(32)}` };
    const reply = await inject(service, "/openapi.json", { method: "GET", headers });
    const doc = reply.body;
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: "http", scheme: "bearer" });
    const echo = doc.paths["/echo"].post;
    expect(echo.security).toEqual([{ bearer: [] }]);
    expect(echo.responses["401"].content["application/json"].example.error.code).toBe(
      "UNAUTHORIZED",
    );
    expect(doc.paths["/status"].get.security).toEqual([]);
    expect(doc.paths["/shutdown"].post.description).toMatch(/admin token/);
    expect(openApiProblems(doc)).toEqual([]);
  });

  it("notes that admin endpoints answer loopback peers when no admin token is set", async () => {
    const doc = await openApi(new EchoService());
    expect(doc.paths["/shutdown"].post.description).toMatch(/loopback/);
    expect(doc.paths["/shutdown"].post.security).toBeUndefined();
  });
});

describe("/docs", () => {
  it("is swagger-ui, named after the service, with its assets served from the package", async () => {
    const reply = await inject(new EchoService(), "/docs/", { method: "GET" });
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toMatch(/^text\/html/);
    expect(reply.text).toContain("<title>EchoService: API reference</title>");
    expect(reply.text).toContain("./static/swagger-ui-bundle.js");
    expect(reply.text).not.toMatch(/https?:\/\//);
    const bundle = await inject(new EchoService(), "/docs/static/swagger-ui-bundle.js", {
      method: "GET",
    });
    expect(bundle.status).toBe(200);
    expect(bundle.headers["content-type"]).toMatch(/javascript/);
  });

  it("sends a policy that keeps every request on the page's origin, and no validator", async () => {
    const service = new EchoService();
    const page = await inject(service, "/docs", { method: "GET" });
    expect(page.headers["content-security-policy"]).toMatch(/default-src 'self'/);
    expect(page.headers["content-security-policy"]).toMatch(/connect-src 'self'/);
    const init = await inject(service, "/docs/static/swagger-initializer.js", { method: "GET" });
    expect(init.text).toContain('"validatorUrl":null');
    expect(init.text).toContain('"tryItOutEnabled":true');
    expect(init.text).not.toContain("validator.swagger.io");
  });

  it("reads the same document as /openapi.json, its server being the page's parent", async () => {
    const service = new EchoService();
    const [json, page] = await Promise.all([
      openApi(service),
      inject(service, "/docs/json", { method: "GET" }).then((r) => r.body),
    ]);
    expect(page).toEqual({ ...json, servers: [expect.objectContaining({ url: ".." })] });
  });

  it("is where GET / leads on a plain service", async () => {
    const reply = await inject(new EchoService(), "/", { method: "GET" });
    expect(reply.status).toBe(302);
    expect(reply.headers.location).toBe("docs/");
  });

  it("is gone with docs: false, and / with it; /openapi.json stays", async () => {
    const service = new EchoService({ docs: false });
    expect((await inject(service, "/docs", { method: "GET" })).status).toBe(404);
    expect((await inject(service, "/", { method: "GET" })).status).toBe(404);
    expect((await inject(service, "/openapi.json", { method: "GET" })).status).toBe(200);
  });

  it("refuses a docs option that is not a boolean", () => {
    expect(() => new EchoService({ docs: "no" as never })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTIONS" }),
    );
  });
});
