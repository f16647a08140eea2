import { describe, expect, it } from "vitest";
import { MemoryFeedRegistry } from "../../src/registry/memory/memory-registry.js";
import { startEcho } from "../helpers/fixtures.js";
import { startGatewayStack } from "../helpers/gateway-stack.js";
import type { EchoTasks } from "../helpers/gateway-stack.js";

describe("a gateway and its registry", () => {
  it("writes registrations to the registry, and a new gateway on the same registry serves them (a registry passed in is not closed by the gateway)", async () => {
    const registry = new MemoryFeedRegistry();
    await using echo = await startEcho();
    {
      await using first = await startGatewayStack({ registry });
      await first.gw.registerApp("echoer", echo.url);
      const { apps, revision } = await registry.snapshot();
      expect(apps.map((r) => [r.name, r.url])).toEqual([["echoer", echo.url]]);
      expect(revision).toBe(1);
    }
    await using second = await startGatewayStack<{ echoer: EchoTasks }>({ registry });
    expect(await second.gw.listApps()).toEqual(["echoer"]);
    expect(await second.gw.echoer.echo({ message: "restored" })).toEqual({ echoed: "restored" });
    await second.gw.unregisterApp("echoer");
    expect((await registry.snapshot()).apps).toEqual([]);
  });
});
