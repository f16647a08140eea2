/**
 * A client never loads the server side: the client entry (`src/client/index.ts`) and a contract
 * module are enough to connect to a service, typed or discovered, and call it, and fastify is
 * never loaded on the way. Checked in a fresh child process, whose module cache holds only what
 * it imported; a last step imports the Service class to prove the check sees fastify.
 */
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { childReport } from "../helpers/child-report.js";
import { startEcho } from "../helpers/fixtures.js";

const SCRIPT = fileURLToPath(new URL("../helpers/loaded-server-side.ts", import.meta.url));

interface Report {
  steps: Record<"imports" | "calls" | "control", string[]>;
  echoed: unknown[];
  probe: { ok: boolean; serverId?: string };
}

function runScript(url: string): Promise<Report> {
  return childReport<Report>("loaded-server-side", ["--import", "tsx", SCRIPT, url]);
}

describe("the client entry", () => {
  it("connects, calls and probes a service without ever loading fastify", async () => {
    await using echo = await startEcho();
    const report = await runScript(echo.url);
    expect(report.echoed).toEqual([{ echoed: "typed" }, { echoed: "discovered" }]);
    expect(report.probe).toEqual({ ok: true, serverId: echo.service.id });
    expect(report.steps.imports).toEqual([]);
    expect(report.steps.calls).toEqual([]);
    // The control: the Service class does load it, so the check above would have seen it.
    expect(report.steps.control).toContain("fastify");
  }, 30_000);
});
