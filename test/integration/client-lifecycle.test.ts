import { describe, expect, it } from "vitest";
import { EchoService } from "../../src/samples/echo-service.js";
import { Service } from "../../src/service/service.js";
import { ServiceUnavailableError } from "../../src/errors.js";
import { ECHO_DESCRIPTOR, startEcho } from "../helpers/fixtures.js";
import { expectRejects } from "../helpers/expect-error.js";

describe("lifecycle methods of a client", () => {
  it("status, heartbeat, serverId, className and pidFile", async () => {
    await using echo = await startEcho({ id: "echo-7", pidFile: "/run/echo-7.pid" });
    await using client = await EchoService.connect(echo.url);
    expect(await client.status()).toEqual({ status: "Available" });
    expect(await client.heartbeat()).toEqual({
      heartbeat: {
        status: "Available",
        server_id: "echo-7",
        message: expect.any(String),
        details: null,
      },
    });
    expect(await client.serverId()).toBe("echo-7");
    expect(await client.className()).toBe("EchoService");
    expect(await client.pidFile()).toBe("/run/echo-7.pid");
  });

  it("endpoints and detailedEndpoints", async () => {
    await using echo = await startEcho();
    await using client = await EchoService.connect(echo.url);
    expect(await client.endpoints()).toContain("echo");
    const detailed = await client.detailedEndpoints();
    expect(detailed.echo).toEqual(ECHO_DESCRIPTOR);
    expect(Object.keys(detailed)).toEqual(await client.endpoints());
  });

  it("call() sends raw requests to any path, POST by default, GET on request", async () => {
    await using echo = await startEcho();
    await using client = await Service.connect(echo.url);
    expect(await client.call("echo", { message: "raw" })).toEqual({ echoed: "raw" });
    expect(await client.call("/status", undefined, { method: "GET" })).toEqual({
      status: "Available",
    });
  });

  it("shutdown() on an in-process service resolves once its server is gone", async () => {
    await using echo = await startEcho();
    const client = await EchoService.connect(echo.url);
    expect(await client.shutdown()).toEqual({ shutdown: true });
    await echo.closed;
    const reconnect = Service.connect(echo.url);
    await expectRejects(reconnect, ServiceUnavailableError, "SERVICE_UNAVAILABLE");
  });

  it("shutdown() of a service that is already gone resolves", async () => {
    const echo = await startEcho();
    const client = await EchoService.connect(echo.url);
    await echo.close();
    expect(await client.shutdown()).toEqual({ shutdown: true });
  });
});
