import { existsSync, readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { createServiceClient } from "../../src/client/create-client.js";
import { AlreadyRunningError, ServiceUnavailableError } from "../../src/errors.js";
import { Gateway } from "../../src/gateway/gateway.js";
import { launchService } from "../../src/launcher/launch.js";
import { findFreePort } from "../../src/launcher/ports.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { startEcho } from "../helpers/fixtures.js";
import {
  expectNoChildProcesses,
  isRunning,
  killIfRunning,
  liveChildPids,
} from "../helpers/processes.js";
import { expectRejects } from "../helpers/expect-error.js";

describe("launching a service in its own process", () => {
  afterAll(expectNoChildProcesses);

  it("resolves with a typed client once Available, with a PID file naming the child", async () => {
    const echo = await EchoService.launch({ timeout: 15_000 });
    const [child] = liveChildPids();
    try {
      expect(await echo.status()).toEqual({ status: "Available" });
      expect(await echo.echo({ message: "launched" })).toEqual({ echoed: "launched" });
      const pidFile = await echo.pidFile();
      expect(pidFile).toEqual(expect.any(String));
      expect(Number(readFileSync(pidFile!, "utf8"))).toBe(child);
      expect(liveChildPids()).toEqual([child]);

      await echo.shutdown();
      expect(isRunning(child!)).toBe(false);
      expect(existsSync(pidFile!)).toBe(false);
      expect(liveChildPids()).toEqual([]);
    } finally {
      killIfRunning(child);
    }
  }, 20_000);

  it("shutdown() stops the process gracefully and never signals the caller", async () => {
    const launched = await launchService(EchoService, { timeout: 15_000 });
    const client = createServiceClient(
      { url: launched.url, process: launched.process },
      EchoService.tasks,
    );
    const signals: string[] = [];
    const record = (signal: string) => signals.push(signal);
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(signal, record);
    try {
      expect(await client.shutdown()).toEqual({ shutdown: true });
      expect(launched.process.exitCode).toBe(0);
      expect(launched.process.exitSignal).toBeNull();
      expect(signals).toEqual([]);
      expect(isRunning(process.pid)).toBe(true);
    } finally {
      for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.off(signal, record);
      await launched.process.stop(2_000);
    }
  }, 20_000);

  it("refuses a URL where something already answers (ALREADY_RUNNING), spawning nothing", async () => {
    await using running = await startEcho();
    await expectRejects(
      EchoService.launch({ url: running.url }),
      AlreadyRunningError,
      "ALREADY_RUNNING",
    );
    expect(liveChildPids()).toEqual([]);
  });

  it("connect() rejects SERVICE_UNAVAILABLE when nothing answers", async () => {
    const url = `http://127.0.0.1:${await findFreePort()}`;
    await expectRejects(EchoService.connect(url), ServiceUnavailableError, "SERVICE_UNAVAILABLE");
    await expectRejects(Gateway.connect(url), ServiceUnavailableError, "SERVICE_UNAVAILABLE");
  });
});
