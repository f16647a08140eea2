import { describe, expect, it } from "vitest";
import { MemoryRegistry } from "../../src/registry/memory-registry.js";
import { startEcho } from "../helpers/fixtures.js";
import { startGatewayStack } from "../helpers/gateway-stack.js";
import type { EchoTasks } from "../helpers/gateway-stack.js";

describe("a gateway and its registry", () => {
  it("writes registrations through, and a new gateway on the same registry serves them", async () => {
    const registry = new MemoryRegistry();
    await using echo = await startEcho();
    {
      await using first = await startGatewayStack({ registry });
      await first.gw.registerApp("echoer", echo.url);
      expect(registry.list().map((r) => [r.name, r.url])).toEqual([["echoer", echo.url]]);
    }
    await using second = await startGatewayStack<{ echoer: EchoTasks }>({ registry });
    expect(await second.gw.listApps()).toEqual(["echoer"]);
    expect(await second.gw.echoer.echo({ message: "restored" })).toEqual({ echoed: "restored" });
    await second.gw.unregisterApp("echoer");
    expect(registry.list()).toEqual([]);
  });
});
