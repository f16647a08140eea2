import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { InvalidOptionsError } from "../../src/errors.js";
import { Gateway } from "../../src/gateway/gateway.js";
import { waitFor } from "../helpers/fixtures.js";
import {
  expectNoChildProcesses,
  isRunning,
  killIfRunning,
  liveChildPids,
} from "../helpers/processes.js";
import { postJson } from "../helpers/raw-http.js";
import { PidService } from "./fixtures/pid-service.js";
import { expectRejects } from "../helpers/expect-error.js";

describe("a service launched with several workers", () => {
  afterAll(expectNoChildProcesses);

  it("serves every call from workers sharing one port, and shutdown() stops the whole group", async () => {
    const client = await PidService.launch({ numWorkers: 2, timeout: 20_000 });
    const primary = Number(readFileSync((await client.pidFile())!, "utf8"));
    let workers: number[] = [];
    try {
      // launch() resolved once every worker listens, not just the first to answer.
      expect(liveChildPids()).toEqual([primary]);
      workers = liveChildPids(primary, "node");
      expect(workers).toHaveLength(2);

      // The primary hands new connections to listening workers in turn (round-robin): two fresh
      // connections in a row reach both workers, so both were already listening.
      const answered: number[] = [];
      for (let i = 0; i < 2; i++)
        answered.push((await postJson(`${client.url}/pid`, {})).json().pid);
      expect(answered.sort((a, b) => a - b)).toEqual(workers);
      expect((await client.pid()).pid).toBeOneOf(workers);

      await client.shutdown();
      expect(await waitFor(() => ![primary, ...workers].some(isRunning))).toBe(true);
    } finally {
      killIfRunning(...workers, primary);
    }
  }, 30_000);

  it("replaces a worker that crashes after it served, and keeps serving", async () => {
    const client = await PidService.launch({ numWorkers: 2, timeout: 20_000 });
    const primary = Number(readFileSync((await client.pidFile())!, "utf8"));
    const workers = () => liveChildPids(primary, "node");
    let before: number[] = [];
    try {
      before = workers();
      expect(before).toHaveLength(2);
      await client.crash().catch(() => undefined);
      const replaced = await waitFor(() => {
        const now = workers();
        return now.length === 2 && now.some((pid) => !before.includes(pid));
      });
      expect(replaced).toBe(true);
      expect(before.filter(isRunning)).toHaveLength(1);
      expect((await client.pid()).pid).toBeOneOf(workers());
      await client.shutdown();
    } finally {
      killIfRunning(...workers(), ...before, primary);
    }
  }, 30_000);

  it("is refused for a Gateway (INVALID_OPTIONS), spawning nothing", async () => {
    await expectRejects(Gateway.launch({ numWorkers: 2 }), InvalidOptionsError, "INVALID_OPTIONS");
    expect(liveChildPids()).toEqual([]);
  });
});
