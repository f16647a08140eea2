/**
 * `--log-level` of the server commands, run in-process through `runCli`: JSON lines on stderr
 * (stdout keeps only the `Serving` line scripts read), a bad level refused with the list.
 */
import { describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { waitFor } from "../helpers/fixtures.js";
import { isolateEnv } from "../helpers/env.js";
import { rawRequest } from "../helpers/raw-http.js";

const ECHO_MODULE = "src/samples/echo-service.ts";

/** Runs a server command until `use` is done, then stops it; returns its output. */
async function runServer(
  args: string[],
  use: (url: string) => Promise<void>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  let stderr = "";
  const listeners = new Set<() => void>();
  const done = runCli(args, {
    stdout: { write: (text: string) => (stdout += text) },
    stderr: { write: (text: string) => (stderr += text) },
    onStop: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  });
  let exited = false;
  void done.then(() => (exited = true));
  await waitFor(() => exited || stdout.includes("Serving "), 20_000);
  const url = /Serving \S+ at (http:\/\/\S+)/.exec(stdout)?.[1];
  try {
    if (url) await use(url);
  } finally {
    listeners.forEach((stop) => stop());
  }
  return { code: await done, stdout, stderr };
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("--log-level", () => {
  isolateEnv(["PORTICO_LOG_LEVEL"]);

  it("debug prints one JSON line per request on stderr, stdout keeps the Serving line", async () => {
    const run = await runServer(["serve", ECHO_MODULE, "--log-level", "debug"], async (url) => {
      const reply = await rawRequest(`${url}/status`, { headers: { "x-request-id": "cli-1" } });
      expect(reply.status).toBe(200);
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Serving EchoService at http:\/\/127\.0\.0\.1:\d+\n$/);
    expect(jsonLines(run.stderr)).toContainEqual(
      expect.objectContaining({ msg: "request", reqId: "cli-1", path: "/status", status: 200 }),
    );
  });

  it("info (the default) logs the server's start but no request", async () => {
    const run = await runServer(["gateway"], async (url) => {
      await rawRequest(`${url}/status`);
    });
    const lines = jsonLines(run.stderr);
    expect(lines.some((l) => String(l.msg).startsWith("Server listening"))).toBe(true);
    expect(lines.some((l) => l.msg === "request")).toBe(false);
  });

  it("reads $PORTICO_LOG_LEVEL when the flag is not given", async () => {
    process.env.PORTICO_LOG_LEVEL = "silent";
    const run = await runServer(["gateway"], async (url) => {
      await rawRequest(`${url}/status`);
    });
    expect(jsonLines(run.stderr)).toEqual([]);
  });

  it.each([["serve", ECHO_MODULE], ["gateway"]])(
    "%s refuses a level it does not know, listing the levels (exit code 2)",
    async (...command) => {
      let stderr = "";
      const code = await runCli([...command, "--log-level", "loud"], {
        stdout: { write: () => true },
        stderr: { write: (text: string) => (stderr += text) },
      });
      expect(code).toBe(2);
      expect(stderr).toContain("error INVALID_OPTIONS:");
      expect(stderr).toContain("fatal, error, warn, info, debug, trace, silent");
    },
  );
});
