/**
 * Self-registration: `serve({ gateway, name })` registers the service with a real gateway as one
 * instance with a lease (mode add), renews it, registers again when the gateway lost it, and
 * unregisters on close(); a refusal rejects serve() and leaves no server behind; stop() during
 * start() leaves no instance behind. Everything is a real server on 127.0.0.1: the gateway is the
 * one this repo builds.
 */
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { task } from "../../src/contract/task.js";
import {
  InstanceMismatchError,
  InvalidOptionsError,
  ServiceStoppingError,
  ServiceUnavailableError,
  UnauthorizedError,
} from "../../src/errors.js";
import type { PorticoError } from "../../src/errors.js";
import { Gateway } from "../../src/gateway/gateway.js";
import { findFreePort } from "../../src/launcher/ports.js";
import type { GatewayOptions } from "../../src/gateway/gateway.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { SelfRegistration } from "../../src/service/self-registration.js";
import { Service } from "../../src/service/service.js";
import { isolateEnv } from "../helpers/env.js";
import { expectRejects } from "../helpers/expect-error.js";
import { startGateway, waitFor } from "../helpers/fixtures.js";
import type { Running } from "../helpers/fixtures.js";
import { startLoopbackApp } from "../helpers/loopback-app.js";
import type { LoopbackApp } from "../helpers/loopback-app.js";
import { deadUrl } from "../helpers/observe.js";
import { rawRequest } from "../helpers/raw-http.js";

isolateEnv(["PORTICO_GATEWAY_TOKEN", "PORTICO_TOKEN", "PORTICO_ADMIN_TOKEN"]);

const ADMIN = "gw-admin-5c1e90a2";

/** The URLs of app `name`'s instances, as the gateway lists them (none when it is not there). */
async function instancesOf(gateway: Running<Gateway>, name: string): Promise<string[]> {
  await using gw = await Gateway.connect(gateway.url, { subscribe: false });
  const app = (await gw.listAppsWithSchemas()).find((a) => a.name === name);
  return app?.instances?.map((i) => i.url) ?? (app ? [app.url] : []);
}

/** A free loopback port, and its URL: where a refused service listened before it closed. */
async function freeAddress(): Promise<{ port: number; url: string }> {
  const port = await findFreePort();
  return { port, url: `http://127.0.0.1:${port}` };
}

/** True when nothing answers at `url` (the server was closed, or never listened). */
async function isClosed(url: string): Promise<boolean> {
  return rawRequest(`${url}/heartbeat`).then(
    () => false,
    () => true,
  );
}

/** A service publishing another endpoint than EchoService: not an instance of the same app. */
class OtherService extends Service {
  constructor() {
    super();
    this.addEndpoint(task({ name: "other", output: z.object({ ok: z.boolean() }) }), () => ({
      ok: true,
    }));
  }
}

function gatewayWith(options?: GatewayOptions): Promise<Running<Gateway>> {
  return startGateway(options);
}

/**
 * An app that never answers: a gateway registering it waits out its discoveryTimeout, then
 * registers it undiscovered. `discovering` resolves once the gateway asked it for its endpoints.
 */
async function silentApp(): Promise<LoopbackApp & { discovering: () => Promise<boolean> }> {
  const app = await startLoopbackApp({ handler: () => undefined });
  return Object.assign(app, { discovering: () => waitFor(() => app.received.length > 0) });
}

/** Checks that `start` rejects SERVICE_STOPPING (handled at once: it rejects while stop() runs). */
function expectStopped(start: Promise<void>): Promise<ServiceStoppingError> {
  return expectRejects(start, ServiceStoppingError, "SERVICE_STOPPING");
}

describe("serve({ gateway, name })", () => {
  it("registers on start, is called through the gateway, and unregisters on close()", async () => {
    await using gateway = await gatewayWith();
    const served = await new EchoService().serve({ gateway: gateway.url, name: "echoer" });
    try {
      expect(served.registration).toMatchObject({
        gateway: gateway.url,
        name: "echoer",
        url: served.url,
        leaseMs: 15_000,
      });
      // serve() resolved after the registration: the gateway routes to it at once.
      expect(await instancesOf(gateway, "echoer")).toEqual([served.url]);
      await using gw = await Gateway.connect(gateway.url);
      const echoer = gw.app<typeof EchoService>("echoer");
      expect(await echoer.echo({ message: "through" })).toEqual({ echoed: "through" });
    } finally {
      await served.close();
    }
    expect(await instancesOf(gateway, "echoer")).toEqual([]);
  });

  it("adds instances of one app, and close() removes only its own", async () => {
    await using gateway = await gatewayWith();
    const first = await new EchoService().serve({ gateway: gateway.url, name: "pair" });
    const second = await new EchoService().serve({ gateway: gateway.url, name: "pair" });
    try {
      expect((await instancesOf(gateway, "pair")).sort()).toEqual([first.url, second.url].sort());
      await second.close();
      expect(await instancesOf(gateway, "pair")).toEqual([first.url]);
    } finally {
      await Promise.all([first.close(), second.close()]);
    }
  });

  it("the shutdown endpoint unregisters too", async () => {
    await using gateway = await gatewayWith();
    const served = await new EchoService().serve({ gateway: gateway.url, name: "stopper" });
    await using client = await EchoService.connect(served.url);
    await client.shutdown();
    await served.closed;
    expect(await instancesOf(gateway, "stopper")).toEqual([]);
  });

  it("renews its lease: still registered after several lease lengths", async () => {
    await using gateway = await gatewayWith();
    await using served = await new EchoService().serve({
      gateway: gateway.url,
      name: "renewed",
      leaseMs: 1_000,
    });
    await new Promise((resolve) => setTimeout(resolve, 2_600));
    expect(await instancesOf(gateway, "renewed")).toEqual([served.url]);
  });

  it("registers again when the gateway lost the instance (renew_lease answered renewed:false)", async () => {
    await using gateway = await gatewayWith();
    await using served = await new EchoService().serve({
      gateway: gateway.url,
      name: "again",
      leaseMs: 1_000,
    });
    await gateway.service.unregisterApp("again", { url: served.url });
    expect(await instancesOf(gateway, "again")).toEqual([]);
    expect(await waitFor(async () => (await instancesOf(gateway, "again")).length === 1)).toBe(
      true,
    );
    expect(await instancesOf(gateway, "again")).toEqual([served.url]);
  });

  it("advertises advertiseUrl instead of the served URL", async () => {
    await using gateway = await gatewayWith();
    await using served = await new EchoService().serve({ port: 0, host: "127.0.0.1" });
    // A second service registering the first one's URL: what a proxy in front of it would do.
    const advertised = `${served.url}/`;
    await using other = await new EchoService().serve({
      gateway: gateway.url,
      name: "behind",
      advertiseUrl: advertised,
    });
    expect(other.registration?.url).toBe(served.url);
    expect(await instancesOf(gateway, "behind")).toEqual([served.url]);
  });
});

describe("a gateway with an admin token", () => {
  it("takes the registration with gatewayToken, and with $PORTICO_GATEWAY_TOKEN", async () => {
    await using gateway = await gatewayWith({ adminToken: ADMIN });
    const byOption = await new EchoService().serve({
      gateway: gateway.url,
      name: "tokened",
      gatewayToken: ADMIN,
    });
    process.env.PORTICO_GATEWAY_TOKEN = ADMIN;
    const byEnv = await new EchoService().serve({ gateway: gateway.url, name: "tokened" });
    try {
      expect((await instancesOf(gateway, "tokened")).sort()).toEqual(
        [byOption.url, byEnv.url].sort(),
      );
    } finally {
      await byOption.close();
      await byEnv.close();
    }
    // Unregistering carried the token as well.
    expect(await instancesOf(gateway, "tokened")).toEqual([]);
  });

  it("refuses a registration without it: serve() rejects UNAUTHORIZED and closes its server", async () => {
    await using gateway = await gatewayWith({ adminToken: ADMIN });
    // A client token of this process is not the gateway's: it is never sent there.
    process.env.PORTICO_TOKEN = ADMIN;
    const at = await freeAddress();
    const serving = new EchoService().serve({
      port: at.port,
      gateway: gateway.url,
      name: "refused",
    });
    await expectRejects(serving, UnauthorizedError, "UNAUTHORIZED");
    expect(await isClosed(at.url)).toBe(true);
    expect(await instancesOf(gateway, "refused")).toEqual([]);
  });
});

describe("refusals and failures", () => {
  it("rejects INSTANCE_MISMATCH for an instance with other endpoints, closing its server", async () => {
    await using gateway = await gatewayWith();
    await using first = await new EchoService().serve({ gateway: gateway.url, name: "mixed" });
    const at = await freeAddress();
    const serving = new OtherService().serve({
      port: at.port,
      gateway: gateway.url,
      name: "mixed",
    });
    await expectRejects(serving, InstanceMismatchError, "INSTANCE_MISMATCH");
    expect(await isClosed(at.url)).toBe(true);
    expect(await instancesOf(gateway, "mixed")).toEqual([first.url]);
  });

  it("rejects SERVICE_UNAVAILABLE when the gateway stays unreachable, closing its server", async () => {
    const at = await freeAddress();
    const serving = new EchoService().serve({
      port: at.port,
      gateway: await deadUrl(),
      name: "lonely",
      registrationTimeout: 600,
    });
    await expectRejects(serving, ServiceUnavailableError, "SERVICE_UNAVAILABLE");
    expect(await isClosed(at.url)).toBe(true);
  });

  it.each([
    ["a gateway without a name", { gateway: "http://127.0.0.1:9" }],
    ["a name without a gateway", { name: "x" }],
    ["a lease under a second", { gateway: "http://127.0.0.1:9", name: "x", leaseMs: 999 }],
    ["a gateway that is no URL", { gateway: "nope", name: "x" }],
  ])("refuses %s with INVALID_OPTIONS before listening", async (_what, options) => {
    const at = await freeAddress();
    const serving = new EchoService().serve({ port: at.port, ...options });
    await expectRejects(serving, InvalidOptionsError, "INVALID_OPTIONS");
    expect(await isClosed(at.url)).toBe(true);
  });
});

describe("an outage of the gateway", () => {
  it("keeps serving, warns once, and registers again when the gateway is back", async () => {
    const gateway = await gatewayWith();
    const port = gateway.port;
    const warnings: PorticoError[] = [];
    await using served = await new EchoService().serve({
      gateway: gateway.url,
      name: "survivor",
      leaseMs: 1_000,
      onRegistrationWarning: (error) => warnings.push(error),
    });
    await gateway.close();
    // Several renewals fail while the gateway is away: one warning for the whole outage.
    await waitFor(() => warnings.length > 0, 5_000);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.code).toBe("SERVICE_UNAVAILABLE");
    await using client = await EchoService.connect(served.url);
    expect(await client.echo({ message: "still here" })).toEqual({ echoed: "still here" });

    // A new gateway on the same address knows nothing of it: renew_lease says renewed:false.
    await using back = await new Gateway().serve({ host: "127.0.0.1", port });
    const again = await waitFor(async () => {
      const apps = await Gateway.connect(back.url, { subscribe: false }).then(async (gw) => {
        try {
          return await gw.listApps();
        } finally {
          await gw.close();
        }
      });
      return apps.includes("survivor");
    });
    expect(again).toBe(true);
    expect(warnings).toHaveLength(1);
  });
});

describe("stop() while start() is in progress", () => {
  it("takes back a registration the gateway finishes after stop() began", async () => {
    await using gateway = await gatewayWith({ discoveryTimeout: 300 });
    await using app = await silentApp();
    const registration = new SelfRegistration({ gateway: gateway.url, name: "late" });
    const stopped = expectStopped(registration.start(app.url));
    expect(await app.discovering()).toBe(true);
    await registration.stop();
    await stopped;
    // The registration did land (revision 1), and was taken back (revision 2).
    expect(await gateway.service.registry.revision()).toBe(2);
    // Past the time the gateway could still be registering it: the instance stays gone.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    expect(await instancesOf(gateway, "late")).toEqual([]);
  });

  it("ends at once a start() still retrying an unreachable gateway", async () => {
    const registration = new SelfRegistration({ gateway: await deadUrl(), name: "early" });
    const stopped = expectStopped(registration.start("http://127.0.0.1:9"));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const began = Date.now();
    await registration.stop();
    await stopped;
    // Not a timing figure: without the fix stop() waits out the 10 s retry budget.
    expect(Date.now() - began).toBeLessThan(5_000);
  });

  it("waits for a register_app in flight at most its timeout", async () => {
    await using gateway = await gatewayWith({ discoveryTimeout: 5_000 });
    await using app = await silentApp();
    const registration = new SelfRegistration({ gateway: gateway.url, name: "slow" });
    const stopped = expectStopped(registration.start(app.url));
    expect(await app.discovering()).toBe(true);
    const began = Date.now();
    await registration.stop(300);
    // Bounded by its own timeout, not by the gateway's 5 s discovery.
    expect(Date.now() - began).toBeLessThan(4_000);
    await stopped;
  });

  it("refuses start() after stop() with SERVICE_STOPPING, without calling the gateway", async () => {
    await using gateway = await gatewayWith();
    const registration = new SelfRegistration({ gateway: gateway.url, name: "never" });
    await registration.stop();
    await expectStopped(registration.start("http://127.0.0.1:9"));
    expect(await gateway.service.registry.revision()).toBe(0);
  });
});
