import { afterAll, describe, expect, it } from "vitest";
import { waitFor } from "../helpers/fixtures.js";
import {
  expectNoChildProcesses,
  isRunning,
  killIfRunning,
  liveChildPids,
  runTsScript,
} from "../helpers/processes.js";

describe("a launched service never outlives the process that launched it", () => {
  afterAll(expectNoChildProcesses);

  it("stops when the launching process exits without shutting it down", async () => {
    const script = runTsScript("./fixtures/launch-then-exit.ts", import.meta.url);
    let service: number | undefined;
    try {
      service = Number(await script.firstLine);
      expect(service).toBeGreaterThan(0);
      expect(await script.exited).toBe(0);
      expect(await waitFor(() => !isRunning(service!))).toBe(true);
    } finally {
      killIfRunning(script.child.pid, service);
    }
  }, 20_000);

  it.each([1, 2])(
    "stops when the launching process is killed with SIGKILL (%i worker(s))",
    async (numWorkers) => {
      const script = runTsScript("./fixtures/launch-then-wait.ts", import.meta.url, [
        String(numWorkers),
      ]);
      let group: number[] = [];
      try {
        const service = Number(await script.firstLine);
        // With several workers the service's process is their primary: all of them must go.
        const workers = numWorkers > 1 ? numWorkers : 0;
        const forked = () => liveChildPids(service, "node");
        expect(await waitFor(() => forked().length === workers)).toBe(true);
        group = [service, ...forked()];
        expect(group.every(isRunning)).toBe(true);
        script.child.kill("SIGKILL");
        expect(await script.exited).toBeNull();
        expect(await waitFor(() => !group.some(isRunning))).toBe(true);
      } finally {
        killIfRunning(script.child.pid, ...group);
      }
    },
    20_000,
  );
});
