import { afterAll, afterEach, describe, expect, it } from "vitest";
import { InvalidOptionsError, LaunchError, LaunchTimeoutError } from "../../src/errors.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { Service } from "../../src/service/service.js";
import { expectNoChildProcesses, killIfRunning, liveChildPids } from "../helpers/processes.js";
import { FAILURE_MARKER, FailingService } from "./fixtures/failing-service.js";
import { NeverReadyService } from "./fixtures/never-ready-service.js";
import { expectRejects } from "../helpers/expect-error.js";

describe("launches that fail", () => {
  afterEach(() => killIfRunning(...liveChildPids()));
  afterAll(expectNoChildProcesses);

  it("rejects LAUNCH_FAILED with the last stderr lines when the child dies during startup", async () => {
    const launch = FailingService.launch({ timeout: 15_000 });
    const error = await expectRejects(launch, LaunchError, "LAUNCH_FAILED");
    const { stderr } = error.data as { stderr: string[] };
    expect(stderr).toContain(FAILURE_MARKER);
    expect(liveChildPids()).toEqual([]);
  }, 20_000);

  it("rejects LAUNCH_FAILED when every worker dies during startup, instead of re-forking them", async () => {
    const launch = FailingService.launch({ numWorkers: 2, timeout: 15_000 });
    const error = await expectRejects(launch, LaunchError, "LAUNCH_FAILED");
    expect((error.data as { stderr: string[] }).stderr).toContain(FAILURE_MARKER);
    expect(liveChildPids()).toEqual([]);
  }, 20_000);

  it("rejects LAUNCH_TIMEOUT within its timeout when the child never becomes ready", async () => {
    const launch = NeverReadyService.launch({ timeout: 1_500 });
    await expectRejects(launch, LaunchTimeoutError, "LAUNCH_TIMEOUT");
    expect(liveChildPids()).toEqual([]);
  }, 10_000);

  it("rejects LAUNCH_FAILED, spawning nothing, for a class that does not say where it lives", async () => {
    class Homeless extends Service {}
    await expectRejects(Homeless.launch(), LaunchError, "LAUNCH_FAILED");
    expect(liveChildPids()).toEqual([]);
  });

  it.each([0, 1.5, 65])("rejects numWorkers %s with INVALID_OPTIONS", async (numWorkers) => {
    await expectRejects(EchoService.launch({ numWorkers }), InvalidOptionsError, "INVALID_OPTIONS");
  });
});
