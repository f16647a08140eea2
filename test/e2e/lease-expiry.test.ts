/**
 * Leases: a service launched with `{ gateway, name, leaseMs }` registers itself before launch()
 * resolves; killed with SIGKILL it cannot unregister, so its instance must disappear when the
 * lease runs out: within the lease + 1 s, with an event to subscribed clients.
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { Gateway } from "../../src/gateway/gateway.js";
import type { GatewayChange } from "../../src/gateway/gateway-client.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { startGateway, waitFor } from "../helpers/fixtures.js";
import { expectNoChildProcesses, isRunning, killIfRunning } from "../helpers/processes.js";

const LEASE_MS = 1_000;

/** True when `change` says instance `url` of app `name` is gone. */
function isGone(change: GatewayChange, name: string, url: string): boolean {
  if (change.type === "app_unregistered") return change.name === name;
  if (change.type !== "app_updated" || change.name !== name) return false;
  return !(change.app.instances ?? [{ url: change.app.url }]).some((i) => i.url === url);
}

describe("a self-registered instance whose process is killed", () => {
  afterAll(expectNoChildProcesses);

  it("disappears within its lease + 1 s after SIGKILL, with an event", async () => {
    await using gateway = await startGateway();
    await using watcher = await Gateway.connect(gateway.url);
    const changes: GatewayChange[] = [];
    watcher.on("change", (change) => changes.push(change));
    await using lister = await Gateway.connect(gateway.url, { subscribe: false });
    const instances = async (): Promise<string[]> => {
      const app = (await lister.listAppsWithSchemas()).find((a) => a.name === "mortal");
      return app?.instances?.map((i) => i.url) ?? (app ? [app.url] : []);
    };

    const echo = await EchoService.launch({
      gateway: gateway.url,
      name: "mortal",
      leaseMs: LEASE_MS,
      timeout: 20_000,
    });
    const pid = Number(readFileSync((await echo.pidFile())!, "utf8"));
    try {
      // launch() resolved once the instance was registered: callers reach it at once.
      expect(await instances()).toEqual([echo.url]);
      const mortal = watcher.app<typeof EchoService>("mortal");
      expect(await mortal.echo({ message: "alive" })).toEqual({ echoed: "alive" });

      process.kill(pid, "SIGKILL");
      expect(await waitFor(() => !isRunning(pid), 5_000)).toBe(true);
      // From the kill: at most one lease since the last renewal, plus the gateway's sweep.
      const gone = await waitFor(async () => (await instances()).length === 0, LEASE_MS + 1_000);
      expect(gone).toBe(true);
      expect(await waitFor(() => changes.some((c) => isGone(c, "mortal", echo.url)), 2_000)).toBe(
        true,
      );
    } finally {
      killIfRunning(pid);
      await echo.close();
    }
  }, 40_000);
});
