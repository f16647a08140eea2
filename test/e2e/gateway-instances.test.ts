/**
 * Instances with real processes: a gateway launched as a child process in front of three echo
 * services, one SIGKILLed under load (calls go on through the others; the dead one is taken out);
 * and an app restarted with other endpoints on the same port (the gateway re-discovers it). Loads
 * are bounded in requests and time; every request carries a client deadline.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Pool } from "undici";
import { Gateway } from "../../src/gateway/gateway.js";
import type { GatewayClient } from "../../src/gateway/gateway-client.js";
import type { GatewayChange } from "../../src/gateway/client/change-hub.js";
import { launchService } from "../../src/launcher/launch.js";
import type { LaunchedService } from "../../src/launcher/launch.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { waitFor } from "../helpers/fixtures.js";
import { killIfRunning } from "../helpers/processes.js";
import { startLoad, stopLaunched } from "../helpers/gateway-load.js";
import { PidService } from "./fixtures/pid-service.js";

let gw: GatewayClient;
let pool: Pool;

beforeAll(async () => {
  gw = await Gateway.launch({
    timeout: 20_000,
    serviceOptions: {
      health: { intervalMs: 200, timeoutMs: 500 },
      passiveHealth: { consecutiveFailures: 3, ejectMs: 30_000 },
    },
  });
  pool = new Pool(gw.url, { connections: 16 });
}, 30_000);

afterAll(() => stopLaunched(gw, pool), 30_000);

async function healthOf(name: string, url: string): Promise<string | undefined> {
  const apps = await gw.listAppsWithSchemas();
  return apps.find((a) => a.name === name)?.instances?.find((i) => i.url === url)?.health;
}

describe("three instances, one SIGKILLed under load", () => {
  it("keeps answering through the others and takes the dead one out", async () => {
    const services: LaunchedService[] = [];
    try {
      for (let i = 0; i < 3; i++)
        services.push(await launchService(EchoService, { timeout: 20_000 }));
      for (const s of services) await gw.registerApp("trio", s.url, { mode: "add" });
      const load = startLoad(pool, "/trio/echo", 8, 20_000, 60_000);
      let okAtKill = 0;
      try {
        expect(await waitFor(() => load.ok >= 300, 20_000)).toBe(true);
        const victim = services[0]!;
        process.kill(victim.process.pid!, "SIGKILL");
        await victim.process.exited;
        okAtKill = load.ok;
        expect(
          await waitFor(async () => (await healthOf("trio", victim.url)) !== "healthy", 10_000),
        ).toBe(true);
        expect(await waitFor(() => load.ok >= okAtKill + 500, 20_000)).toBe(true);
      } finally {
        await load.stop();
      }
      const outcomes = load.outcomes;
      expect(outcomes.filter((o) => o.failed !== undefined)).toEqual([]);
      const errors = outcomes.filter((o) => o.status !== 200);
      // Only calls in flight on the victim when it died can fail (a POST reset after it was
      // sent is never retried); every later one went to a live instance.
      expect(errors.length).toBeLessThanOrEqual(8);
      for (const error of errors)
        expect(error).toEqual({ status: 502, code: "UPSTREAM_UNREACHABLE" });
      const after = outcomes.slice(okAtKill + 8 + errors.length);
      expect(after.every((o) => o.status === 200)).toBe(true);
    } finally {
      await gw.unregisterApp("trio").catch(() => undefined);
      for (const s of services) killIfRunning(s.process.pid);
    }
  }, 90_000);
});

describe("an app restarted with other endpoints", () => {
  it("is re-discovered: app_updated with the new endpoints, callable with no re-registration", async () => {
    let first: LaunchedService | undefined;
    let second: LaunchedService | undefined;
    const seen: GatewayChange[] = [];
    const stopWatching = gw.on("change", (change) => seen.push(change));
    try {
      first = await launchService(EchoService, { timeout: 20_000 });
      const url = first.url;
      await gw.registerApp("morph", url);
      process.kill(first.process.pid!, "SIGKILL");
      await first.process.exited;
      second = await launchService(PidService, { url, timeout: 20_000 });
      const updated = (): boolean =>
        seen.some(
          (c) => c.type === "app_updated" && c.name === "morph" && "pid" in c.app.endpoints,
        );
      expect(await waitFor(updated, 15_000)).toBe(true);
      const pid = second.process.pid;
      const reply = await gw.app<typeof PidService>("morph").pid();
      expect(reply).toEqual({ pid });
      expect(
        Object.keys((await gw.registeredApps()).find((a) => a.name === "morph")!.endpoints).sort(),
      ).toEqual(["crash", "pid"]);
    } finally {
      stopWatching();
      await gw.unregisterApp("morph").catch(() => undefined);
      killIfRunning(first?.process.pid);
      await second?.process.stop(5_000);
    }
  }, 90_000);
});
