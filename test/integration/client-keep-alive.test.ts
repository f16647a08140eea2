import { describe, expect, it } from "vitest";
import { createServiceClient } from "../../src/client/create-client.js";
import type { ServiceClient } from "../../src/client/types.js";
import { ServiceUnavailableError } from "../../src/errors.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { startEcho } from "../helpers/fixtures.js";
import { expectRejects } from "../helpers/expect-error.js";
import { countConnections } from "../helpers/observe.js";

describe("client connections", () => {
  it("sequential calls reuse one keep-alive socket", async () => {
    await using echo = await startEcho();
    const connections = countConnections(echo);
    await using client = createServiceClient({ url: echo.url }, EchoService.tasks);
    for (let i = 0; i < 5; i++) await client.echo({ message: `call ${i}` });
    await client.status();
    await client.heartbeat();
    expect(connections.count).toBe(1);
  });

  it("close() is idempotent, later calls reject, and the service keeps running", async () => {
    await using echo = await startEcho();
    const client = await EchoService.connect(echo.url);
    await Promise.all([client.close(), client.close()]);
    await client.close();
    const call = client.echo({ message: "after close" });
    await expectRejects(call, ServiceUnavailableError, "SERVICE_UNAVAILABLE");
    await using another = await EchoService.connect(echo.url);
    expect(await another.status()).toEqual({ status: "Available" });
  });

  it("await using closes the client at the end of its block", async () => {
    await using echo = await startEcho();
    let escaped: ServiceClient<typeof EchoService.tasks> | undefined;
    {
      await using client = await EchoService.connect(echo.url);
      escaped = client;
    }
    const call = escaped.echo({ message: "too late" });
    await expectRejects(call, ServiceUnavailableError, "SERVICE_UNAVAILABLE");
  });
});
