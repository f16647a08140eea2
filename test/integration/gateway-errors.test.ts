import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  AppNotRegisteredError,
  UpstreamTimeoutError,
  UpstreamUnreachableError,
  ValidationError,
} from "../../src/errors.js";
import { findFreePort } from "../../src/launcher/ports.js";
import { startEcho } from "../helpers/fixtures.js";
import type { Running } from "../helpers/fixtures.js";
import type { EchoService } from "../../src/samples/echo-service.js";
import { startGatewayStack } from "../helpers/gateway-stack.js";
import type { EchoTasks, GatewayStack } from "../helpers/gateway-stack.js";
import { startPlainApp } from "../helpers/plain-app.js";
import type { PlainApp } from "../helpers/plain-app.js";
import { postJson, rawRequest } from "../helpers/raw-http.js";
import type { RawReply } from "../helpers/raw-http.js";
import { expectRejects } from "../helpers/expect-error.js";

/** Checks the one error format: JSON `{ error: { code, message, data } }` with that status. */
function expectWireError(reply: RawReply, status: number, code: string): void {
  expect(reply.status).toBe(status);
  expect(reply.headers["content-type"]).toMatch(/^application\/json/);
  const { error } = reply.json();
  expect(Object.keys(error).sort()).toEqual(["code", "data", "message"]);
  expect(error.code).toBe(code);
  expect(typeof error.message).toBe("string");
}

describe("gateway errors", () => {
  let stack: GatewayStack<{ echoer: EchoTasks }>;
  let app: PlainApp;
  let echo: Running<EchoService>;

  beforeAll(async () => {
    stack = await startGatewayStack({ upstreamTimeout: 300 });
    app = await startPlainApp();
    echo = await startEcho();
    await stack.gw.registerApp("plain", app.url);
    await stack.gw.registerApp("echoer", echo.url);
    await stack.gw.registerApp("dead", `http://127.0.0.1:${await findFreePort()}`);
  });
  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
    await app?.close();
    await echo?.close();
  });
  afterEach(async () => {
    // Whatever went wrong upstream, the gateway keeps serving.
    expect(await stack.gw.status()).toEqual({ status: "Available" });
    expect((await rawRequest(`${stack.gateway.url}/plain/ok`)).status).toBe(200);
  });

  it.each(["GET", "POST", "PUT", "DELETE", "PATCH"])(
    "answers %s to an unknown app with 404 APP_NOT_REGISTERED",
    async (method) => {
      const reply = await rawRequest(`${stack.gateway.url}/nobody/x?y=1`, { method });
      expectWireError(reply, 404, "APP_NOT_REGISTERED");
      expect(reply.json().error.data).toEqual({ name: "nobody" });
    },
  );

  it("answers 502 UPSTREAM_UNREACHABLE when nothing listens at the app's URL", async () => {
    const reply = await rawRequest(`${stack.gateway.url}/dead/x`, { method: "POST" });
    expectWireError(reply, 502, "UPSTREAM_UNREACHABLE");
    await expectRejects(
      stack.gw.app("dead").call("x"),
      UpstreamUnreachableError,
      "UPSTREAM_UNREACHABLE",
    );
  });

  it("answers 502 UPSTREAM_UNREACHABLE when the app drops the connection", async () => {
    expectWireError(
      await rawRequest(`${stack.gateway.url}/plain/drop`),
      502,
      "UPSTREAM_UNREACHABLE",
    );
  });

  it("answers 504 UPSTREAM_TIMEOUT when the app is slower than upstreamTimeout", async () => {
    const reply = await rawRequest(`${stack.gateway.url}/plain/hang`);
    expectWireError(reply, 504, "UPSTREAM_TIMEOUT");
    expect(reply.json().error.data).toMatchObject({ timeout: 300 });
    await expectRejects(
      stack.gw.echoer.echo({ message: "slow", delay: 5 }),
      UpstreamTimeoutError,
      "UPSTREAM_TIMEOUT",
    );
  });

  it("passes an app's own error replies through unchanged", async () => {
    const reply = await postJson(`${stack.gateway.url}/echoer/echo`, { message: 42 });
    expectWireError(reply, 422, "VALIDATION_FAILED");
    const direct = await postJson(`${echo.url}/echo`, { message: 42 });
    expect(reply.json()).toEqual(direct.json());
    const call = stack.gw.echoer.echo({ message: 42 } as never, { validateInput: false });
    await expectRejects(call, ValidationError, "VALIDATION_FAILED");
  });

  it("rejects an unknown app on the client with AppNotRegisteredError", async () => {
    await expectRejects(
      stack.gw.app("nobody").call("x"),
      AppNotRegisteredError,
      "APP_NOT_REGISTERED",
    );
  });
});
