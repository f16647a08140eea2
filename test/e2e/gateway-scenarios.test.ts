import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServiceClient } from "../../src/client/types.js";
import { AppNotRegisteredError } from "../../src/errors.js";
import { Gateway } from "../../src/gateway/gateway.js";
import { EchoService } from "../../src/samples/echo-service.js";
import type { EchoTasks, GatewayWith } from "../helpers/gateway-stack.js";
import { expectNoChildProcesses, killIfRunning, liveChildPids } from "../helpers/processes.js";
import { expectRejects } from "../helpers/expect-error.js";

type Echoers = { echoer: EchoTasks; late: EchoTasks };

describe("the seed's scenarios with launched processes", () => {
  let echo: ServiceClient<EchoTasks>;
  let gw1: GatewayWith<Echoers>;
  const clients: { close(): Promise<void> }[] = [];
  const connect = async () => {
    const client = (await Gateway.connect(gw1.url)) as GatewayWith<Echoers>;
    clients.push(client);
    return client;
  };

  beforeAll(async () => {
    [echo, gw1] = await Promise.all([
      EchoService.launch({ timeout: 20_000 }),
      Gateway.launch({ timeout: 20_000 }) as Promise<GatewayWith<Echoers>>,
    ]);
  }, 30_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await Promise.allSettled([echo?.shutdown(), gw1?.shutdown()]);
    killIfRunning(...liveChildPids());
    await expectNoChildProcesses();
  }, 20_000);

  it("1: registered with a client, the app is reachable from a client connected later", async () => {
    await gw1.registerApp("echoer", echo.url, echo);
    expect(await gw1.echoer.echo({ message: "Hello, world!" })).toEqual({
      echoed: "Hello, world!",
    });
    const gw2 = await connect();
    expect(await gw2.echoer.echo({ message: "Hello world, too!" })).toEqual({
      echoed: "Hello world, too!",
    });
  });

  it("2: a client connected before the registration reaches the app on first use", async () => {
    const gw2 = await connect();
    await expectRejects(
      gw2.late.echo({ message: "too early" }),
      AppNotRegisteredError,
      "APP_NOT_REGISTERED",
    );
    await gw1.registerApp("late", echo.url, echo);
    expect(await gw2.late.echo({ message: "Yet another good day, world!" })).toEqual({
      echoed: "Yet another good day, world!",
    });
  });

  it("the gateway process reports its apps in its heartbeat", async () => {
    await gw1.registerApp("counted", echo.url);
    const gw3 = await connect();
    const apps = await gw3.listApps();
    expect(apps).toContain("counted");
    expect((await gw3.heartbeat()).heartbeat.details).toMatchObject({ apps: apps.length });
  });
});
