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

describe("/docs", () => {
  it("is an HTML page naming the service and every endpoint path", async () => {
    const reply = await inject(new EchoService(), "/docs", { method: "GET" });
    expect(reply.status).toBe(200);
    expect(reply.headers["content-type"]).toMatch(/^text\/html/);
    expect(reply.text).toMatch(/^<!doctype html>/i);
    expect(reply.text).toContain("<title>EchoService</title>");
    for (const path of Object.values(new EchoService().describeEndpoints()).map((d) => d.path)) {
      expect(reply.text).toContain(path);
    }
  });

  it("escapes descriptions", async () => {
    const sly = task({ name: "sly", description: "<script>alert(1)</script>" });
    const reply = await inject(
      new Service().addEndpoint(sly, () => null),
      "/docs",
      {
        method: "GET",
      },
    );
    expect(reply.text).not.toContain("<script>");
    expect(reply.text).toContain("&lt;script&gt;");
  });
});
