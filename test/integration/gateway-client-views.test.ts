import { describe, expect, it } from "vitest";
import { AppNotRegisteredError, ValidationError } from "../../src/errors.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { startEcho } from "../helpers/fixtures.js";
import { startGatewayStack, startRecordedEcho } from "../helpers/gateway-stack.js";
import type { EchoTasks } from "../helpers/gateway-stack.js";
import { startLooseGreeter } from "../helpers/loose-greeter.js";
import type { greeterTasks } from "../helpers/loose-greeter.js";
import { expectRejects } from "../helpers/expect-error.js";

const count = (requests: string[], line: string) => requests.filter((r) => r === line).length;

describe("every gateway client sees every registered app", () => {
  it("seed scenario 1: a client connected after the registration uses the app", async () => {
    await using stack = await startGatewayStack<{ echoer: EchoTasks }>();
    await using echo = await startEcho();
    await using echoClient = await EchoService.connect(echo.url);
    await stack.gw.registerApp("echoer", echo.url, echoClient);
    expect(await stack.gw.echoer.echo({ message: "Hello, world!" })).toEqual({
      echoed: "Hello, world!",
    });
    const gw2 = await stack.connect();
    expect(await gw2.echoer.echo({ message: "Hello world, too!" })).toEqual({
      echoed: "Hello world, too!",
    });
  });

  it("seed scenario 2: a client connected before the registration refreshes once, then calls", async () => {
    await using stack = await startGatewayStack<{ echoer: EchoTasks }>();
    await using echo = await startRecordedEcho();
    // The pull fallback: a subscribed client has the app pushed before it calls
    // (gateway-client-push.test.ts).
    const gw2 = await stack.connect({ subscribe: false });
    await using echoClient = await EchoService.connect(echo.url);
    await stack.gw.registerApp("echoer", echo.url, echoClient);

    const refreshes = count(stack.requests, "POST /list_apps_with_schemas");
    const calls = count(echo.requests, "POST /echo");
    expect(await gw2.echoer.echo({ message: "Yet another good day" })).toEqual({
      echoed: "Yet another good day",
    });
    expect(count(stack.requests, "POST /list_apps_with_schemas")).toBe(refreshes + 1);
    expect(count(echo.requests, "POST /echo")).toBe(calls + 1);
    await gw2.echoer.echo({ message: "known now" });
    expect(count(stack.requests, "POST /list_apps_with_schemas")).toBe(refreshes + 1);
  });

  it("an app registered without a client gets a full proxy on every client", async () => {
    await using stack = await startGatewayStack<{ echoer: EchoTasks }>();
    await using echo = await startEcho();
    const before = await stack.connect();
    await stack.gw.registerApp("echoer", echo.url);
    const after = await stack.connect();
    for (const gw of [stack.gw, before, after]) {
      expect(await gw.echoer.echo({ message: "m" })).toEqual({ echoed: "m" });
      // The schemas came over the wire: input is still checked before sending.
      await expectRejects(
        gw.echoer.echo({ message: 1 } as never),
        ValidationError,
        "VALIDATION_FAILED",
      );
    }
  });

  it("an app nobody registered rejects APP_NOT_REGISTERED after one refresh", async () => {
    await using stack = await startGatewayStack<{ ghost: EchoTasks }>();
    const refreshes = count(stack.requests, "POST /list_apps_with_schemas");
    await expectRejects(
      stack.gw.ghost.echo({ message: "?" }),
      AppNotRegisteredError,
      "APP_NOT_REGISTERED",
    );
    expect(count(stack.requests, "POST /list_apps_with_schemas")).toBe(refreshes + 1);
  });

  it("an unregistered app disappears from every client", async () => {
    await using stack = await startGatewayStack<{ echoer: EchoTasks }>();
    await using echo = await startEcho();
    await stack.gw.registerApp("echoer", echo.url);
    const other = await stack.connect();
    await other.echoer.echo({ message: "known" });

    await stack.gw.unregisterApp("echoer");
    for (const gw of [stack.gw, other]) {
      expect(await gw.listApps()).toEqual([]);
      await expectRejects(
        gw.echoer.echo({ message: "gone" }),
        AppNotRegisteredError,
        "APP_NOT_REGISTERED",
      );
      expect(await gw.registeredApps()).toEqual([]);
    }
  });

  it("a name re-registered elsewhere at another app reaches the new app on every client", async () => {
    await using stack = await startGatewayStack<{ svc: EchoTasks & typeof greeterTasks }>();
    await using echo = await startEcho();
    await using greeter = await startLooseGreeter();
    await using echoClient = await EchoService.connect(echo.url);
    await stack.gw.registerApp("svc", echo.url, echoClient);
    expect(await stack.gw.svc.echo({ message: "first" })).toEqual({ echoed: "first" });

    const other = await stack.connect();
    await other.registerApp("svc", greeter.url);
    for (const gw of [other, stack.gw]) {
      expect(await gw.svc.greet({ name: "Ada" })).toEqual({ greeting: "Hello Ada!", lang: "en" });
    }
  });
});
