/**
 * `launch({ gateway, name })`: the launched process registers itself (once for a group of
 * workers), launch() resolves after that, shutdown() unregisters it, and a gateway's refusal
 * fails the launch with the gateway's error code and leaves no process behind.
 */
import { afterAll, describe, expect, it } from "vitest";
import { LaunchError } from "../../src/errors.js";
import type { Gateway } from "../../src/gateway/gateway.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { startGateway } from "../helpers/fixtures.js";
import type { Running } from "../helpers/fixtures.js";
import { expectRejects } from "../helpers/expect-error.js";
import { expectNoChildProcesses, liveChildPids } from "../helpers/processes.js";
import { PidService } from "./fixtures/pid-service.js";

const ADMIN = "gw-admin-e2e-7d3b";

async function instancesOf(gateway: Running<Gateway>, name: string): Promise<string[]> {
  const { apps } = await gateway.service.app
    .inject({ method: "POST", url: "/list_apps_with_schemas", payload: {} })
    .then((reply) => reply.json<{ apps: { name: string; instances?: { url: string }[] }[] }>());
  return apps.find((a) => a.name === name)?.instances?.map((i) => i.url) ?? [];
}

describe("launching a service that registers itself", () => {
  afterAll(expectNoChildProcesses);

  it("registers before launch() resolves and unregisters on shutdown()", async () => {
    await using gateway = await startGateway({ adminToken: ADMIN });
    const echo = await EchoService.launch({
      gateway: gateway.url,
      name: "launched",
      gatewayToken: ADMIN,
      timeout: 20_000,
    });
    try {
      expect(await instancesOf(gateway, "launched")).toEqual([echo.url]);
    } finally {
      await echo.shutdown();
    }
    expect(await instancesOf(gateway, "launched")).toEqual([]);
  }, 30_000);

  it("registers a group of workers once, as one instance", async () => {
    await using gateway = await startGateway();
    const client = await PidService.launch({
      numWorkers: 2,
      gateway: gateway.url,
      name: "group",
      timeout: 20_000,
    });
    try {
      expect(await instancesOf(gateway, "group")).toEqual([client.url]);
    } finally {
      await client.shutdown();
    }
    expect(await instancesOf(gateway, "group")).toEqual([]);
  }, 30_000);

  it("fails with the gateway's refusal (UNAUTHORIZED) and leaves no process", async () => {
    await using gateway = await startGateway({ adminToken: ADMIN });
    const launching = EchoService.launch({
      gateway: gateway.url,
      name: "refused",
      env: { PORTICO_GATEWAY_TOKEN: "" },
      timeout: 20_000,
    });
    const error = await expectRejects(launching, LaunchError, "LAUNCH_FAILED");
    expect((error.data as { error?: { code?: string } }).error?.code).toBe("UNAUTHORIZED");
    expect(liveChildPids()).toEqual([]);
  }, 30_000);
});
