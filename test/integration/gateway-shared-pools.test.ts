/**
 * Apps at the same origin share one keep-alive pool: removing or moving one app must not close
 * the connections another app still uses.
 */
import { describe, expect, it } from "vitest";
import { startEcho } from "../helpers/fixtures.js";
import { startGatewayStack } from "../helpers/gateway-stack.js";
import type { EchoTasks } from "../helpers/gateway-stack.js";

describe("pools shared per upstream origin", () => {
  it("keep serving the other apps when one app at the same origin is removed or moved", async () => {
    await using stack = await startGatewayStack<{ a: EchoTasks; b: EchoTasks }>();
    await using first = await startEcho();
    await using second = await startEcho();
    await stack.gw.registerApp("a", first.url);
    await stack.gw.registerApp("b", first.url);
    expect(await stack.gw.a.echo({ message: "a" })).toEqual({ echoed: "a" });
    expect(await stack.gw.b.echo({ message: "b" })).toEqual({ echoed: "b" });

    await stack.gw.unregisterApp("a");
    expect(await stack.gw.b.echo({ message: "b again" })).toEqual({ echoed: "b again" });

    await stack.gw.registerApp("a", second.url);
    await stack.gw.registerApp("b", second.url);
    expect(await stack.gw.a.echo({ message: "moved" })).toEqual({ echoed: "moved" });
    expect(await stack.gw.b.echo({ message: "moved too" })).toEqual({ echoed: "moved too" });
  });
});
