/**
 * `launch({ adminToken, callToken })`: the child gets its tokens through its environment, never
 * its command line (readable by every local user in /proc/<pid>/cmdline), and the client launch
 * returns carries the admin token, so `shutdown()` stops the child gracefully whether or not the
 * server enforces tokens yet.
 */
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { ConnectionManager } from "../../src/client/connection-manager.js";
import { InvalidOptionsError, PorticoError } from "../../src/errors.js";
import { launchService } from "../../src/launcher/launch.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { startEcho } from "../helpers/fixtures.js";
import { expectRejects } from "../helpers/expect-error.js";
import { expectNoChildProcesses, killIfRunning, liveChildPids } from "../helpers/processes.js";

const ADMIN = "admin-0f3c9a7e51";
const CALLER = "caller-77b2d40e9c";

function cmdline(pid: number): string {
  return readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
}

function environ(pid: number): string[] {
  return readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
}

/** Whether this build's services enforce a caller token (the server side may land later). */
async function callTokenEnforced(): Promise<boolean> {
  await using echo = await startEcho({ callToken: CALLER });
  await using client = new ConnectionManager({ url: echo.url, token: "" });
  try {
    await client.endpoints();
    return false;
  } catch (error) {
    if (error instanceof PorticoError && error.code === "UNAUTHORIZED") return true;
    throw error;
  }
}

describe("launching with tokens", () => {
  afterAll(expectNoChildProcesses);

  it("hands the tokens over in the environment, and the client's shutdown() works", async () => {
    const enforced = await callTokenEnforced();
    const echo = await EchoService.launch({
      adminToken: ADMIN,
      callToken: CALLER,
      timeout: 15_000,
    });
    const [pid] = liveChildPids();
    try {
      expect(pid).toBeDefined();
      expect(cmdline(pid!)).not.toContain(ADMIN);
      expect(cmdline(pid!)).not.toContain(CALLER);
      expect(environ(pid!)).toEqual(
        expect.arrayContaining([`PORTICO_ADMIN_TOKEN=${ADMIN}`, `PORTICO_CALL_TOKEN=${CALLER}`]),
      );
      // The returned client carries the admin token, which is good for calls too.
      expect(await echo.echo({ message: "t" })).toEqual({ echoed: "t" });
      await using anonymous = new ConnectionManager({ url: echo.url, token: "" });
      if (enforced) {
        await expectRejects(anonymous.endpoints(), PorticoError, "UNAUTHORIZED");
      } else {
        expect(await anonymous.endpoints()).toContain("echo");
      }
      // A refused shutdown would end in SHUTDOWN_TIMEOUT after the kill ladder.
      expect(await echo.shutdown({ grace: 8_000 })).toEqual({ shutdown: true });
      expect(liveChildPids()).toEqual([]);
    } finally {
      killIfRunning(pid);
    }
  }, 30_000);

  it("moves tokens found in serviceOptions to the environment too", async () => {
    const launched = await launchService(EchoService, {
      serviceOptions: { adminToken: ADMIN },
      timeout: 15_000,
    });
    try {
      const pid = launched.process.pid!;
      expect(cmdline(pid)).not.toContain(ADMIN);
      expect(environ(pid)).toContain(`PORTICO_ADMIN_TOKEN=${ADMIN}`);
      expect(launched.token).toBe(ADMIN);
    } finally {
      await launched.process.stop(2_000);
    }
  }, 30_000);

  it("refuses an empty or unsendable token before spawning anything", async () => {
    await expectRejects(
      launchService(EchoService, { adminToken: "" }),
      InvalidOptionsError,
      "INVALID_OPTIONS",
    );
    const error = await expectRejects(
      launchService(EchoService, { callToken: "two words" }),
      InvalidOptionsError,
      "INVALID_OPTIONS",
    );
    expect(error.message).not.toContain("two words");
    expect(liveChildPids()).toEqual([]);
  });
});
