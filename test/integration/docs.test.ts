import { compileErrors, validate } from "@readme/openapi-parser";
import type { Command } from "commander";
import { createProgram } from "../../src/cli/program.js";
import { policyOptionsFrom } from "../../src/cli/security-options.js";
import type { SecurityFlags } from "../../src/cli/security-options.js";
import { describe, expect, it } from "vitest";
import { Gateway } from "../../src/gateway/gateway.js";
import { startEcho, startGateway } from "../helpers/fixtures.js";
import { startGatewayStack } from "../helpers/gateway-stack.js";
import { startOpenApiApp } from "../fixtures/openapi-app.js";

type Json = Record<string, any>;

const CALLER = "c".repeat(32);
const ADMIN = "a".repeat(32);

/** Validates with @readme/openapi-parser (a copy: it dereferences in place). */
async function expectValidOpenApi(doc: Json): Promise<void> {
  const result = await validate(structuredClone(doc) as never);
  expect(result.valid, result.valid ? "" : compileErrors(result)).toBe(true);
}

function get(url: string, token?: string): Promise<Response> {
  const headers: Record<string, string> = token ? { authorization: `Bearer ${token}` } : {};
  return fetch(url, { headers, redirect: "manual" });
}

describe("/docs on a served service", () => {
  it("serves the page and its assets to anyone; the document keeps the caller token", async () => {
    await using echo = await startEcho({ callToken: CALLER, adminToken: ADMIN });
    for (const path of [
      "/docs",
      "/docs/",
      "/docs/static/swagger-ui-bundle.js",
      "/docs/static/swagger-initializer.js",
      "/docs/static/theme/portico-docs.js",
    ]) {
      expect((await get(echo.url + path)).status, path).toBe(200);
    }
    for (const path of ["/docs/json", "/docs/yaml", "/openapi.json"]) {
      const refused = await get(echo.url + path);
      expect(refused.status, path).toBe(401);
      expect(((await refused.json()) as Json).error.code).toBe("UNAUTHORIZED");
      expect((await get(echo.url + path, CALLER)).status, path).toBe(200);
    }
    // The public page does not name the service before the token is given.
    expect(await (await get(`${echo.url}/docs/`)).text()).not.toContain("EchoService");
    const root = await get(`${echo.url}/`);
    expect(root.status).toBe(302);
    expect(root.headers.get("location")).toBe("docs/");
  });

  it("is a valid OpenAPI 3.1 document, with bearer auth declared", async () => {
    await using echo = await startEcho({ callToken: CALLER, adminToken: ADMIN });
    const doc = (await (await get(`${echo.url}/openapi.json`, CALLER)).json()) as Json;
    await expectValidOpenApi(doc);
    expect(doc.components.securitySchemes.bearer.scheme).toBe("bearer");
  });

  it("is gone with docs: false; /openapi.json stays", async () => {
    await using echo = await startEcho({ docs: false });
    expect((await get(`${echo.url}/docs`)).status).toBe(404);
    expect((await get(`${echo.url}/docs/static/swagger-ui.css`)).status).toBe(404);
    expect((await get(`${echo.url}/`)).status).toBe(404);
    expect((await get(`${echo.url}/openapi.json`)).status).toBe(200);
  });
});

describe("the gateway's document", () => {
  it("lists registered apps' operations under their tags, first, and stays valid", async () => {
    await using stack = await startGatewayStack();
    await using echo = await startEcho();
    await using items = await startOpenApiApp({ version: "3.1.0" });
    await stack.gw.registerApp("echoer", echo.url);
    await stack.gw.registerApp("items", items.url);
    const doc = (await (await get(`${stack.gateway.url}/openapi.json`)).json()) as Json;
    await expectValidOpenApi(doc);

    const tags = doc.tags.map((tag: Json) => tag.name);
    expect(tags).toEqual(["echoer", "items", "Gateway", "Built-in"]);
    expect(doc.tags[0].description).toMatch(/^Portico service, 1 instance: `http:\/\/127\.0\.0\.1/);
    expect(doc.tags[1].description).toMatch(/OpenAPI/);

    const paths = Object.keys(doc.paths);
    expect(paths[0]).toBe("/echoer/echo");
    expect(paths).not.toContain("/echoer/status"); // an app's built-ins are not repeated
    expect(paths.indexOf("/register_app")).toBeGreaterThan(paths.indexOf("/items/items/{id}"));
    const echoOp = doc.paths["/echoer/echo"].post;
    expect(echoOp.tags).toEqual(["echoer"]);
    expect(echoOp.operationId).toBe("echoer__echo");
    expect(echoOp.requestBody.content["application/json"].example).toEqual({
      message: "string",
      delay: 0,
    });
    expect(Object.keys(echoOp.responses)).toEqual(expect.arrayContaining(["422", "502", "504"]));

    // An app described by OpenAPI keeps its methods, path template and parameters.
    const getItem = doc.paths["/items/items/{id}"].get;
    expect(getItem.tags).toEqual(["items"]);
    expect(getItem.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: "id", in: "path", required: true }),
        expect.objectContaining({ name: "verbose", in: "query" }),
      ]),
    );
    expect(doc.paths["/items/items/{id}"].delete).toBeDefined();

    // The page reads the same operations.
    const page = (await (await get(`${stack.gateway.url}/docs/json`)).json()) as Json;
    expect(Object.keys(page.paths)).toEqual(paths);
  });

  it("is built once per change of the app table, not per request", async () => {
    await using stack = await startGatewayStack();
    await using echo = await startEcho();
    const gateway = stack.gateway.service as unknown as { openApiDocument(): Json };
    await stack.gw.registerApp("echoer", echo.url);
    const first = gateway.openApiDocument();
    expect(gateway.openApiDocument()).toBe(first);
    await stack.gw.registerApp("again", echo.url);
    const second = gateway.openApiDocument();
    expect(second).not.toBe(first);
    expect(second.tags.map((tag: Json) => tag.name)).toContain("again");
    await stack.gw.unregisterApp("echoer");
    const third = gateway.openApiDocument();
    expect(Object.keys(third.paths).some((path) => path.startsWith("/echoer/"))).toBe(false);
  });

  it("marks forwarded calls with the gateway's tokens: caller token, admin for admin endpoints", async () => {
    await using gateway = await startGateway({ callToken: CALLER, adminToken: ADMIN });
    await using echo = await startEcho();
    await using admin = await Gateway.connect(gateway.url, { token: ADMIN });
    await admin.registerApp("echoer", echo.url);
    const doc = (await (await get(`${gateway.url}/openapi.json`, CALLER)).json()) as Json;
    await expectValidOpenApi(doc);
    expect(doc.paths["/echoer/echo"].post.security).toEqual([{ bearer: [] }]);
    expect(doc.paths["/register_app"].post.description).toMatch(/admin token/);
  });
});

describe("--no-docs", () => {
  const silent = { stdout: { write: () => true }, stderr: { write: () => true } };

  /** The options `args` give the named server command (its action replaced by a recorder). */
  async function flags(name: string, args: string[]): Promise<SecurityFlags> {
    const program = createProgram(silent);
    const command = program.commands.find((c) => c.name() === name) as Command;
    let options: SecurityFlags | undefined;
    command.action((...params: unknown[]) => {
      options = params[params.length - 2] as SecurityFlags;
    });
    await program.parseAsync([name, ...args], { from: "user" });
    return options!;
  }

  it("turns the reference off on serve and gateway, for workers too", async () => {
    const serve = await flags("serve", ["src/samples/echo-service.ts", "--no-docs"]);
    expect(policyOptionsFrom(serve).docs).toBe(false);
    expect(policyOptionsFrom(await flags("gateway", ["--no-docs"])).docs).toBe(false);
    expect(policyOptionsFrom(await flags("gateway", []))).not.toHaveProperty("docs");
  });
});
