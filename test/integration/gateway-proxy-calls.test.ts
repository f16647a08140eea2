import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EndpointNotFoundError, ValidationError } from "../../src/errors.js";
import { EchoService } from "../../src/samples/echo-service.js";
import type { Running } from "../helpers/fixtures.js";
import { startGatewayStack, startRecordedEcho } from "../helpers/gateway-stack.js";
import type { EchoTasks, GatewayStack, GatewayWith, Untyped } from "../helpers/gateway-stack.js";
import { startPlainApp } from "../helpers/plain-app.js";
import type { MirrorReply, PlainApp } from "../helpers/plain-app.js";
import { expectRejects } from "../helpers/expect-error.js";

/** What the tests call: echo's contract, plus names no app has, plus raw endpoints of the plain app. */
type TestApps = {
  echoer: EchoTasks & Untyped<"nope" | "notAnEndpoint">;
  plain: Untyped<"anything" | "whatever">;
};

describe("app proxies", () => {
  let stack: GatewayStack<TestApps>;
  let echo: Running<EchoService> & { requests: string[] };
  let plain: PlainApp;
  let wire: GatewayWith<TestApps>;
  /** Requests seen so far: at the gateway (fastify), at the echo app, at the plain app. */
  const traffic = () => [stack.requests.length, echo.requests.length, plain.received.length];

  beforeAll(async () => {
    stack = await startGatewayStack();
    echo = await startRecordedEcho();
    plain = await startPlainApp();
    const echoClient = await EchoService.connect(echo.url);
    await stack.gw.registerApp("echoer", echo.url, echoClient); // zod schemas on stack.gw
    await echoClient.close();
    await stack.gw.registerApp("plain", plain.url); // no schemas at all
    wire = await stack.connect(); // JSON Schemas from the gateway
  });
  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
    await echo?.close();
    await plain?.close();
  });

  it("never touch the network on property access", async () => {
    const before = traffic();
    for (const gw of [stack.gw, wire]) {
      const proxy = gw.echoer;
      void [proxy.echo, proxy.name, typeof proxy.call, proxy.notAnEndpoint, JSON.stringify(proxy)];
      void [gw.app("unknownApp").anything, Reflect.get(gw, "notRegistered"), gw.plain.whatever];
      void ["echoer" in gw, typeof gw.echoer.echo, Reflect.get(gw, "then")];
    }
    expect(traffic()).toEqual(before);
    expect(await stack.gw.echoer.echo({ message: "now" })).toEqual({ echoed: "now" });
  });

  it("validate input before sending: VALIDATION_FAILED and nothing sent", async () => {
    await wire.refresh(); // a client loads an app's schemas on first use: load them beforehand
    const before = traffic();
    for (const gw of [stack.gw, wire]) {
      await expectRejects(
        gw.echoer.echo({ message: 7 } as never),
        ValidationError,
        "VALIDATION_FAILED",
      );
      await expectRejects(gw.echoer.echo({} as never), ValidationError, "VALIDATION_FAILED");
      const error = await expectRejects(
        gw.echoer.echo({ message: "x", delay: -1 }),
        ValidationError,
        "VALIDATION_FAILED",
      );
      expect(error.issues).toEqual([expect.objectContaining({ path: ["delay"] })]);
    }
    expect(traffic()).toEqual(before);
  });

  it("reject an endpoint the app does not have with ENDPOINT_NOT_FOUND, sending it nowhere", async () => {
    for (const gw of [stack.gw, wire]) {
      const [, echoBefore] = traffic();
      await expectRejects(gw.echoer.nope({}), EndpointNotFoundError, "ENDPOINT_NOT_FOUND");
      expect(traffic()[1]).toBe(echoBefore);
    }
  });

  it.each(["GET", "POST", "PUT", "DELETE", "PATCH"] as const)(
    "call(path, body, { method: %s }) reaches any path of an app without schemas",
    async (method) => {
      const body = method === "GET" ? undefined : { n: 1 };
      const seen = (await wire
        .app("plain")
        .call("items/7?limit=5", body, { method })) as MirrorReply;
      expect(seen).toMatchObject({ method, url: "/items/7?limit=5" });
      expect(seen.body).toBe(body === undefined ? "" : JSON.stringify(body));
    },
  );

  it("call() returns a non-JSON reply as text", async () => {
    expect(await wire.plain.call("/text", undefined, { method: "GET" })).toBe("plain text");
  });

  it("an app without schemas still forwards any endpoint name as a raw POST", async () => {
    const seen = (await wire.plain.anything({ a: 1 })) as MirrorReply;
    expect(seen).toMatchObject({ method: "POST", url: "/anything", body: '{"a":1}' });
  });

  it("call() also works on an app with schemas, bypassing them", async () => {
    expect(await wire.echoer.call("echo", { message: "raw" })).toEqual({ echoed: "raw" });
  });
});
