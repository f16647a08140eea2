import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidAppNameError } from "../../src/errors.js";
import { RESERVED_APP_NAMES } from "../../src/gateway/app-name.js";
import { startGatewayStack } from "../helpers/gateway-stack.js";
import type { GatewayStack } from "../helpers/gateway-stack.js";
import { startPlainApp } from "../helpers/plain-app.js";
import type { PlainApp } from "../helpers/plain-app.js";
import { postJson } from "../helpers/raw-http.js";
import { expectRejects } from "../helpers/expect-error.js";

describe("app names and URLs, enforced by the gateway", () => {
  let stack: GatewayStack;
  let app: PlainApp;
  const register = (body: unknown) => postJson(`${stack.gateway.url}/register_app`, body);
  const codeOf = async (body: unknown) => {
    const reply = await register(body);
    return [reply.status, reply.json().error?.code];
  };

  beforeAll(async () => {
    stack = await startGatewayStack();
    app = await startPlainApp();
  });
  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
    await app?.close();
  });

  it.each(["", "1app", "-app", "_app", "my app", "a/b", "a.b", "a?b", "né", "a".repeat(65)])(
    "refuses the name %j with 400 INVALID_APP_NAME",
    async (name) => {
      expect(await codeOf({ name, url: app.url })).toEqual([400, "INVALID_APP_NAME"]);
    },
  );

  it("refuses every reserved name with 400 INVALID_APP_NAME", async () => {
    for (const name of RESERVED_APP_NAMES) {
      expect(await codeOf({ name, url: app.url }), name).toEqual([400, "INVALID_APP_NAME"]);
    }
  });

  it.each(["a", "A-b_9", "a".repeat(64)])("accepts the name %j", async (name) => {
    expect((await register({ name, url: app.url })).status).toBe(200);
  });

  it.each([
    "not a url",
    "/relative/path",
    "ftp://127.0.0.1/files",
    "http://user:secret@127.0.0.1:1",
    "http://127.0.0.1:1/?q=1",
    "http://127.0.0.1:1/#part",
  ])("refuses the URL %j with 400 INVALID_APP_URL", async (url) => {
    expect(await codeOf({ name: "svc", url })).toEqual([400, "INVALID_APP_URL"]);
  });

  it("refuses malformed JSON with 400 BAD_REQUEST", async () => {
    expect(await codeOf('{"name": "svc", ')).toEqual([400, "BAD_REQUEST"]);
  });

  it("refuses a body of the wrong shape with 422 VALIDATION_FAILED", async () => {
    expect(await codeOf({ name: "svc" })).toEqual([422, "VALIDATION_FAILED"]);
    expect(await codeOf({ name: 7, url: app.url })).toEqual([422, "VALIDATION_FAILED"]);
  });

  it("registers nothing when refusing", async () => {
    const listed = await stack.gw.listApps();
    expect(listed).not.toContain("svc");
    expect(listed.every((name) => !RESERVED_APP_NAMES.has(name))).toBe(true);
  });

  it("refuses a bad name in the client before sending anything", async () => {
    const before = stack.requests.length;
    await expectRejects(
      stack.gw.registerApp("bad name", app.url),
      InvalidAppNameError,
      "INVALID_APP_NAME",
    );
    await expectRejects(
      stack.gw.registerApp("registerApp", app.url),
      InvalidAppNameError,
      "INVALID_APP_NAME",
    );
    expect(stack.requests.length).toBe(before);
  });

  it("reserves every member a gateway client has, so no app can shadow one", () => {
    const members = new Set<string>();
    for (
      let o: object | null = stack.gw;
      o && o !== Object.prototype;
      o = Object.getPrototypeOf(o)
    ) {
      for (const key of Object.getOwnPropertyNames(o)) members.add(key);
    }
    // Members starting with "_" can never be app names (those start with a letter).
    const exposed = [...members].filter((m) => /^[A-Za-z]/.test(m) && m !== "constructor");
    expect(exposed.filter((m) => !RESERVED_APP_NAMES.has(m))).toEqual([]);
    expect(exposed).toContain("registerApp");
  });
});
