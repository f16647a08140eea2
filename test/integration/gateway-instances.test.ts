/**
 * Apps as groups of instances: adding and removing instances, INSTANCE_MISMATCH, balancing,
 * retries on another instance, passive ejection, active checks (heartbeat, TCP, health path),
 * NO_HEALTHY_INSTANCE, re-discovery after a restart, and leases. Real servers on 127.0.0.1.
 */
import type { ServerResponse } from "node:http";
import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { Gateway } from "../../src/gateway/gateway.js";
import type { GatewayOptions } from "../../src/gateway/gateway.js";
import type { GatewayClient } from "../../src/gateway/gateway-client.js";
import type { GatewayChange } from "../../src/gateway/client/change-hub.js";
import { task } from "../../src/contract/task.js";
import {
  AppNotRegisteredError,
  InstanceMismatchError,
  NoHealthyInstanceError,
} from "../../src/errors.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { Service } from "../../src/service/service.js";
import { expectRejects } from "../helpers/expect-error.js";
import { serveOn, startEcho, waitFor } from "../helpers/fixtures.js";
import type { Running } from "../helpers/fixtures.js";
import { sendJson, startPlainApp } from "../helpers/plain-app.js";
import type { PlainApp, ReceivedRequest } from "../helpers/plain-app.js";
import { rawRequest } from "../helpers/raw-http.js";
import { openSse } from "../helpers/sse-reader.js";

/** A service with other endpoints than EchoService. */
class ShoutService extends Service {
  static override tasks = {
    shout: task({
      name: "shout",
      input: z.object({ text: z.string() }),
      output: z.object({ shouted: z.string() }),
    }),
  };
  constructor() {
    super();
    this.addEndpoint(
      "shout",
      ({ text }) => ({ shouted: text.toUpperCase() }),
      ShoutService.tasks.shout,
    );
  }
}

const cleanup: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
});

/** Health checks off unless asked for: tests that need them set a short interval. */
async function gateway(options: GatewayOptions = {}): Promise<{
  gw: Running<Gateway>;
  client: GatewayClient;
}> {
  const gw = await serveOn(new Gateway({ health: false, ...options }));
  cleanup.push(() => gw.close());
  const client = (await Gateway.connect(gw.url)) as GatewayClient;
  cleanup.push(() => client.close());
  return { gw, client };
}

async function echo(): Promise<Running<EchoService>> {
  const served = await startEcho();
  cleanup.push(() => served.close());
  return served;
}

async function plain(
  handler?: (req: ReceivedRequest, res: ServerResponse) => void,
): Promise<PlainApp> {
  const app = await startPlainApp(handler);
  cleanup.push(() => app.close());
  return app;
}

/** The server_id of the instance that answered a call through the gateway. */
async function whoAnswers(gatewayUrl: string, app: string): Promise<string> {
  const reply = await rawRequest(`${gatewayUrl}/${app}/server_id`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
  });
  expect(reply.status).toBe(200);
  return (reply.json() as { server_id: string }).server_id;
}

async function instancesOf(client: GatewayClient, name: string) {
  const apps = await client.listAppsWithSchemas();
  return apps.find((app) => app.name === name)?.instances ?? [];
}

describe("instances", () => {
  it("adds instances with mode add, lists each with its health, and spreads calls over them", async () => {
    const { gw, client } = await gateway({ balance: "round-robin" });
    const services = [await echo(), await echo(), await echo()];
    await client.registerApp("echo", services[0]!.url);
    for (const s of services.slice(1)) await client.registerApp("echo", s.url, { mode: "add" });
    const instances = await instancesOf(client, "echo");
    expect(instances.map((i) => i.url)).toEqual(services.map((s) => s.url));
    expect(instances.every((i) => i.health === "healthy")).toBe(true);
    expect(instances.every((i) => typeof i.server_id === "string")).toBe(true);
    const seen = new Map<string, number>();
    for (let i = 0; i < 30; i++) {
      const id = await whoAnswers(gw.url, "echo");
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
    // Round robin: each of the three answered a third of the calls.
    expect([...seen.values()]).toEqual([10, 10, 10]);
    // The typed proxy works over instances too.
    await expect(client.app<typeof EchoService>("echo").echo({ message: "hi" })).resolves.toEqual({
      echoed: "hi",
    });
  });

  it("uses every instance with the default least-in-flight balancer", async () => {
    const { gw, client } = await gateway();
    const services = [await echo(), await echo(), await echo()];
    for (const s of services) await client.registerApp("echo", s.url, { mode: "add" });
    const seen = new Set<string>();
    for (let i = 0; i < 60 && seen.size < 3; i++) seen.add(await whoAnswers(gw.url, "echo"));
    expect(seen.size).toBe(3);
  });

  it("keeps every instance when many are added at the same moment", async () => {
    const { client } = await gateway();
    const services = await Promise.all(Array.from({ length: 8 }, () => echo()));
    await Promise.all(services.map((s) => client.registerApp("echo", s.url, { mode: "add" })));
    const urls = (await instancesOf(client, "echo")).map((i) => i.url).sort();
    expect(urls).toEqual(services.map((s) => s.url).sort());
  });

  it("refuses an instance with other endpoints (409 INSTANCE_MISMATCH) and changes nothing", async () => {
    const { client } = await gateway();
    const first = await echo();
    const other = await serveOn(new ShoutService());
    cleanup.push(() => other.close());
    await client.registerApp("echo", first.url);
    const error = await expectRejects(
      client.registerApp("echo", other.url, { mode: "add" }),
      InstanceMismatchError,
      "INSTANCE_MISMATCH",
    );
    expect(error.status).toBe(409);
    expect(error.data).toMatchObject({ missing: ["echo"], extra: ["shout"] });
    expect((await instancesOf(client, "echo")).map((i) => i.url)).toEqual([first.url]);
    // Replace is how the endpoints change.
    await client.registerApp("echo", other.url, { mode: "replace" });
    const apps = await client.listAppsWithSchemas();
    expect(Object.keys(apps.find((a) => a.name === "echo")!.endpoints)).toEqual(["shout"]);
    expect((await instancesOf(client, "echo")).map((i) => i.url)).toEqual([other.url]);
  });

  it("removes one instance with unregisterApp(name, { url }) and the app with its last", async () => {
    const { gw, client } = await gateway();
    const [a, b] = [await echo(), await echo()];
    await client.registerApp("echo", a.url);
    await client.registerApp("echo", b.url, { mode: "add" });
    await client.unregisterApp("echo", { url: a.url });
    expect((await instancesOf(client, "echo")).map((i) => i.url)).toEqual([b.url]);
    expect(await whoAnswers(gw.url, "echo")).toBe(b.service.id);
    await expectRejects(
      client.unregisterApp("echo", { url: a.url }),
      AppNotRegisteredError,
      "APP_NOT_REGISTERED",
    );
    await client.unregisterApp("echo", { url: `${b.url}/` });
    expect(await client.listApps()).toEqual([]);
  });

  it("keeps a client of the landed version working: a typed client as third argument", async () => {
    const { client } = await gateway();
    const a = await echo();
    const typed = await EchoService.connect(a.url);
    cleanup.push(() => typed.close());
    const info = await client.registerApp("echo", a.url, typed);
    expect(info.url).toBe(a.url);
    expect(info.instances?.map((i) => i.url)).toEqual([a.url]);
  });
});

describe("failures and retries", () => {
  it("retries a call that could not connect on another instance, POST included", async () => {
    const { gw, client } = await gateway({ balance: "round-robin", passiveHealth: false });
    const live = await echo();
    const dead = await echo();
    await client.registerApp("echo", live.url);
    await client.registerApp("echo", dead.url, { mode: "add" });
    await dead.close();
    for (let i = 0; i < 6; i++) expect(await whoAnswers(gw.url, "echo")).toBe(live.service.id);
  });

  it("retries an idempotent call reset before any reply byte, never a POST", async () => {
    const { gw, client } = await gateway({ balance: "round-robin", passiveHealth: false });
    const resetting = await plain((_req, res) => res.socket?.destroy());
    const fine = await plain((req, res) => sendJson(res, 200, { method: req.method }));
    await client.registerApp("plainapp", resetting.url);
    await client.registerApp("plainapp", fine.url, { mode: "add" });
    for (let i = 0; i < 4; i++) {
      const reply = await rawRequest(`${gw.url}/plainapp/thing`);
      expect({ status: reply.status, body: reply.json() }).toEqual({
        status: 200,
        body: { method: "GET" },
      });
    }
    const posts = await Promise.all(
      Array.from({ length: 4 }, () =>
        rawRequest(`${gw.url}/plainapp/thing`, { method: "POST", body: "{}" }).then(
          (r) => r.status,
        ),
      ),
    );
    // Round robin sends two of them to the resetting instance: those are not retried.
    expect(posts.filter((s) => s === 502)).toHaveLength(2);
    expect(posts.filter((s) => s === 200)).toHaveLength(2);
  });

  it("ejects an instance after consecutive gateway failures and fails fast with NO_HEALTHY_INSTANCE", async () => {
    const { gw, client } = await gateway({
      passiveHealth: { consecutiveFailures: 3, ejectMs: 60_000 },
    });
    const failing = await plain((_req, res) => sendJson(res, 503, { busy: true }));
    await client.registerApp("plainapp", failing.url);
    for (let i = 0; i < 3; i++) expect((await rawRequest(`${gw.url}/plainapp/x`)).status).toBe(503);
    const [instance] = await instancesOf(client, "plainapp");
    expect(instance?.health).toBe("ejected");
    const before = failing.received.length;
    const reply = await rawRequest(`${gw.url}/plainapp/x`);
    expect(reply.status).toBe(503);
    expect((reply.json() as { error: { code: string } }).error.code).toBe("NO_HEALTHY_INSTANCE");
    expect(failing.received.length).toBe(before); // no upstream attempt
    await expectRejects(
      client.app("plainapp").call("x", undefined, { method: "GET" }),
      NoHealthyInstanceError,
      "NO_HEALTHY_INSTANCE",
    );
  });

  it("does not count an app's own 500 answers against it", async () => {
    const { gw, client } = await gateway({ passiveHealth: { consecutiveFailures: 2 } });
    const app = await plain((_req, res) => sendJson(res, 500, { oops: true }));
    await client.registerApp("plainapp", app.url);
    for (let i = 0; i < 5; i++) expect((await rawRequest(`${gw.url}/plainapp/x`)).status).toBe(500);
    expect((await instancesOf(client, "plainapp"))[0]?.health).toBe("healthy");
  });
});

describe("active health checks", () => {
  const fast = { intervalMs: 50, timeoutMs: 500, unhealthyAfter: 2, healthyAfter: 1 };

  it("marks a stopped Portico instance unhealthy and back, with app_health_changed events", async () => {
    const { gw, client } = await gateway({ health: fast, passiveHealth: false });
    const a = await echo();
    const port = a.port;
    await client.registerApp("echo", a.url);
    await using events = await openSse(`${gw.url}/events`);
    await events.until("ready");
    await a.close();
    const down = await events.until("app_health_changed", 5_000);
    const event = JSON.parse(down.at(-1)!.data!) as Record<string, unknown>;
    expect(event).toMatchObject({
      type: "app_health_changed",
      name: "echo",
      url: a.url,
      health: "unhealthy",
    });
    expect(down.at(-1)!.id).toBeUndefined(); // per replica: never replayed
    const reply = await rawRequest(`${gw.url}/echo/echo`, {
      method: "POST",
      body: '{"message":"x"}',
    });
    expect((reply.json() as { error: { code: string } }).error.code).toBe("NO_HEALTHY_INSTANCE");
    const again = await new EchoService().serve({ host: "127.0.0.1", port });
    cleanup.push(() => again.close());
    const up = await events.until("app_health_changed", 5_000);
    expect(JSON.parse(up.at(-1)!.data!)).toMatchObject({ health: "healthy" });
    expect((await instancesOf(client, "echo"))[0]).toMatchObject({ health: "healthy" });
    expect(typeof (await instancesOf(client, "echo"))[0]?.last_check).toBe("string");
  });

  it("checks a non-Portico app by TCP connect: healthy without any status endpoint", async () => {
    const { client } = await gateway({ health: fast });
    const app = await plain((_req, res) => sendJson(res, 404, { nothing: "here" }));
    await client.registerApp("plain", app.url);
    const gw = client;
    await waitFor(async () => (await instancesOf(gw, "plain"))[0]?.last_check !== undefined);
    const [instance] = await instancesOf(client, "plain");
    expect(instance).toMatchObject({ health: "healthy" });
    expect(app.received.every((r) => r.url !== "/status")).toBe(true);
  });

  it("uses a configured health path for non-Portico apps", async () => {
    const { client } = await gateway({ health: fast });
    let healthy = false;
    const app = await plain((req, res) =>
      req.url === "/healthz" ? sendJson(res, healthy ? 200 : 500, {}) : sendJson(res, 200, {}),
    );
    await client.registerApp("plain", app.url, { healthPath: "/healthz" });
    expect(
      await waitFor(async () => (await instancesOf(client, "plain"))[0]?.health === "unhealthy"),
    ).toBe(true);
    healthy = true;
    expect(
      await waitFor(async () => (await instancesOf(client, "plain"))[0]?.health === "healthy"),
    ).toBe(true);
  });

  it("pushes health changes to subscribed gateway clients", async () => {
    const { client } = await gateway({ health: fast, passiveHealth: false });
    const a = await echo();
    await client.registerApp("echo", a.url);
    const seen: GatewayChange[] = [];
    client.on("change", (change) => seen.push(change));
    await a.close();
    expect(await waitFor(() => seen.some((c) => c.type === "app_health_changed"))).toBe(true);
    expect(seen.find((c) => c.type === "app_health_changed")).toMatchObject({
      name: "echo",
      url: a.url,
      health: "unhealthy",
    });
  });
});

describe("re-discovery", () => {
  it("fetches the endpoints again when an instance restarts with a new server_id", async () => {
    const { client } = await gateway({
      health: { intervalMs: 50, timeoutMs: 500 },
      passiveHealth: false,
    });
    const first = await echo();
    const port = first.port;
    await client.registerApp("svc", first.url);
    const updates: GatewayChange[] = [];
    client.on("change", (change) => updates.push(change));
    await first.close();
    const second = await new ShoutService().serve({ host: "127.0.0.1", port });
    cleanup.push(() => second.close());
    expect(await waitFor(() => updates.some((c) => c.type === "app_updated"))).toBe(true);
    const updated = updates.find((c) => c.type === "app_updated") as Extract<
      GatewayChange,
      { type: "app_updated" }
    >;
    expect(Object.keys(updated.app.endpoints)).toEqual(["shout"]);
    // The client sees the new endpoint with no re-registration.
    await expect(
      (client.app("svc") as unknown as { shout(i: unknown): Promise<unknown> }).shout({
        text: "hi",
      }),
    ).resolves.toEqual({ shouted: "HI" });
  });
});

describe("review regressions", () => {
  it("keeps a busy app healthy: checks never queue behind its forwarded calls", async () => {
    const { gw, client } = await gateway({
      connectionsPerApp: 2,
      health: { intervalMs: 50, timeoutMs: 200 },
      passiveHealth: false,
    });
    const a = await echo();
    await client.registerApp("echo", a.url);
    let stop = false;
    const slow = async (): Promise<void> => {
      while (!stop) {
        await rawRequest(`${gw.url}/echo/echo`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ message: "slow", delay: 0.3 }),
        });
      }
    };
    const callers = Array.from({ length: 4 }, slow);
    try {
      // Both sockets stay busy for 1.5 s, several check intervals and timeouts.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect((await instancesOf(client, "echo"))[0]).toMatchObject({ health: "healthy" });
    } finally {
      stop = true;
      await Promise.all(callers);
    }
  });

  it("sends a buffered call to another instance when its first choice left meanwhile", async () => {
    const { gw, client } = await gateway({ balance: "round-robin", passiveHealth: false });
    const [a, b] = [await echo(), await echo()];
    await client.registerApp("echo", a.url);
    await client.registerApp("echo", b.url, { mode: "add" });
    const { request } = await import("node:http");
    const body = JSON.stringify({ message: "late body" });
    // Two calls, so round robin gives one of them `a`; both bodies are half sent.
    const calls = [0, 1].map(() => {
      const req = request(`${gw.url}/echo/echo`, {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": body.length },
      });
      const status = new Promise<number>((resolve, reject) => {
        req.once("error", reject);
        req.once("response", (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
      });
      req.write(body.slice(0, 5));
      return { req, status };
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await client.unregisterApp("echo", { url: a.url });
    for (const call of calls) call.req.end(body.slice(5));
    expect(await Promise.all(calls.map((c) => c.status))).toEqual([200, 200]);
  });

  it("holds maxInFlightPerApp while a body is still arriving", async () => {
    const { gw, client } = await gateway({ maxInFlightPerApp: 1 });
    const a = await echo();
    await client.registerApp("echo", a.url);
    const { request } = await import("node:http");
    const body = JSON.stringify({ message: "slow body" });
    const first = request(`${gw.url}/echo/echo`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": body.length },
    });
    const firstDone = new Promise<number>((resolve) =>
      first.once("response", (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      }),
    );
    first.write(body.slice(0, 3));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = await rawRequest(`${gw.url}/echo/echo`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect({
      status: second.status,
      code: (second.json() as { error: { code: string } }).error.code,
    }).toEqual({
      status: 503,
      code: "UPSTREAM_BUSY",
    });
    first.end(body.slice(3));
    expect(await firstDone).toBe(200);
  });

  it("keeps an instance ejected while its checks pass but its calls fail", async () => {
    const { gw, client } = await gateway({
      health: { intervalMs: 50, timeoutMs: 500 },
      passiveHealth: { consecutiveFailures: 2, ejectMs: 60_000 },
    });
    const app = await plain((req, res) =>
      req.url === "/healthz" ? sendJson(res, 200, {}) : sendJson(res, 503, { busy: true }),
    );
    await client.registerApp("flaky", app.url, { healthPath: "/healthz" });
    for (let i = 0; i < 2; i++) expect((await rawRequest(`${gw.url}/flaky/x`)).status).toBe(503);
    expect((await instancesOf(client, "flaky"))[0]?.health).toBe("ejected");
    const checks = app.received.filter((r) => r.url === "/healthz").length;
    expect(
      await waitFor(() => app.received.filter((r) => r.url === "/healthz").length >= checks + 3),
    ).toBe(true);
    expect((await instancesOf(client, "flaky"))[0]?.health).toBe("ejected");
  });

  it("lets an app whose first instance was not up take the endpoints of a described one", async () => {
    const { client } = await gateway({ discoveryTimeout: 1_000 });
    const { findFreePort } = await import("../../src/launcher/ports.js");
    const nowhere = `http://127.0.0.1:${await findFreePort()}`;
    const first = await client.registerApp("late", nowhere);
    expect(first).toMatchObject({ kind: "http", endpoints: {} });
    const a = await echo();
    const added = await client.registerApp("late", a.url, { mode: "add" });
    expect(added).toMatchObject({ kind: "portico" });
    expect(Object.keys(added.endpoints)).toEqual(["echo"]);
    expect(added.instances?.map((i) => i.url)).toEqual([nowhere, a.url]);
  });
});

describe("leases", () => {
  it("removes an instance whose lease is not renewed, keeps a renewed one, never a manual one", async () => {
    const { gw, client } = await gateway();
    const [manual, renewed, lapsed] = [await echo(), await echo(), await echo()];
    await client.registerApp("echo", manual.url);
    await client.registerApp("echo", renewed.url, { mode: "add", leaseMs: 1_000 });
    await client.registerApp("echo", lapsed.url, { mode: "add", leaseMs: 1_000 });
    const renew = async () => {
      const reply = await rawRequest(`${gw.url}/renew_lease`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "echo", url: renewed.url, lease_ms: 1_000 }),
      });
      return (reply.json() as { renewed: boolean }).renewed;
    };
    const started = Date.now();
    const timer = setInterval(() => void renew(), 300);
    cleanup.push(() => Promise.resolve(clearInterval(timer)));
    expect(await waitFor(async () => (await instancesOf(client, "echo")).length === 2, 5_000)).toBe(
      true,
    );
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(900);
    expect((await instancesOf(client, "echo")).map((i) => i.url)).toEqual([
      manual.url,
      renewed.url,
    ]);
    expect(await renew()).toBe(true);
    // A lapsed instance is told to register again.
    const reply = await rawRequest(`${gw.url}/renew_lease`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "echo", url: lapsed.url }),
    });
    expect(reply.json()).toEqual({ renewed: false });
  });
});
