/**
 * The server commands of the CLI (`serve`, `gateway`) run in-process through `runCli`: a test's
 * `onStop` stands in for SIGINT/SIGTERM. Each server is stopped in `finally`, and the worker
 * test checks that no launched process is left behind.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/program.js";
import { createServiceClient } from "../../src/client/create-client.js";
import { echoTask } from "../../src/samples/echo-service.js";
import { startEcho, startGateway, waitFor } from "../helpers/fixtures.js";
import type { Running } from "../helpers/fixtures.js";
import type { Gateway } from "../../src/gateway/gateway.js";
import { liveChildPids } from "../helpers/processes.js";

const ECHO_MODULE = "src/samples/echo-service.ts";

// A module exporting two service classes (duck-typed, as the CLI recognises them).
const scratch = mkdtempSync(join(tmpdir(), "portico-cli-"));
const TWO_SERVICES = join(scratch, "two-services.mjs");
writeFileSync(
  TWO_SERVICES,
  "class Base { serve() {} }\nexport class One extends Base {}\nexport class Two extends Base {}\n",
);
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A server command running in-process, and how to stop it. */
interface RunningCli {
  /** The URL of its `Serving <Class> at <url>` line. */
  url: string;
  stdout: () => string;
  stderr: () => string;
  /** Sends a stop request (the CLI's SIGTERM). */
  stop: () => void;
  /** The exit code, once the command has returned. */
  done: Promise<number>;
}

/** Starts a server command and waits (bounded) for its `Serving` line. */
async function startCli(...args: string[]): Promise<RunningCli> {
  let out = "";
  let err = "";
  const listeners = new Set<() => void>();
  const done = runCli(args, {
    stdout: { write: (text: string) => (out += text) },
    stderr: { write: (text: string) => (err += text) },
    onStop: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  });
  let exited = false;
  void done.then(() => (exited = true));
  const stop = (): void => listeners.forEach((l) => l());
  await waitFor(() => exited || out.includes("Serving "), 20_000);
  const url = /Serving \S+ at (http:\/\/\S+)/.exec(out)?.[1];
  if (!url) {
    stop();
    throw new Error(`no Serving line (exit ${exited ? await done : "pending"}): ${out} ${err}`);
  }
  return { url, stdout: () => out, stderr: () => err, stop, done };
}

/** Runs `use` against a started server command and always stops it. */
async function withCli(args: string[], use: (cli: RunningCli) => Promise<void>): Promise<number> {
  const cli = await startCli(...args);
  try {
    await use(cli);
  } finally {
    cli.stop();
  }
  return cli.done;
}

async function runQuiet(...args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = "";
  const sink = { write: (text: string) => (stderr += text) };
  const code = await runCli(args, { stdout: { write: () => true }, stderr: sink });
  return { code, stderr };
}

describe("portico serve", () => {
  it("serves the named export until a stop request, then exits 0", async () => {
    const code = await withCli(["serve", `${ECHO_MODULE}#EchoService`], async (cli) => {
      expect(cli.stdout()).toMatch(/^Serving EchoService at http:\/\/127\.0\.0\.1:\d+\n$/);
      await using client = createServiceClient({ url: cli.url }, { echo: echoTask });
      expect(await client.echo({ message: "hi" })).toEqual({ echoed: "hi" });
    });
    expect(code).toBe(0);
  });

  it("finds the only Service subclass when no export is named, and stops on shutdown", async () => {
    const cli = await startCli("serve", ECHO_MODULE, "--port", "0");
    try {
      expect(cli.stdout()).toContain("Serving EchoService at");
      const call = await runQuiet("call", cli.url, "shutdown");
      expect(call.code).toBe(0);
      // No stop request: the shutdown endpoint alone ends the command.
      expect(await cli.done).toBe(0);
    } finally {
      cli.stop();
    }
  });

  it("runs several workers as a launched group and leaves no process behind", async () => {
    const args = ["serve", `${ECHO_MODULE}#EchoService`, "--workers", "2"];
    const code = await withCli(args, async (cli) => {
      expect(cli.stdout()).toContain("(2 workers)");
      expect(liveChildPids().length).toBeGreaterThan(0);
      await using client = createServiceClient({ url: cli.url }, { echo: echoTask });
      expect(await client.echo({ message: "w" })).toEqual({ echoed: "w" });
    });
    expect(code).toBe(0);
    expect(await waitFor(() => liveChildPids().length === 0)).toBe(true);
  });

  it("ends when the worker group is shut down through its endpoint", async () => {
    const cli = await startCli("serve", `${ECHO_MODULE}#EchoService`, "--workers", "2");
    try {
      expect((await runQuiet("call", cli.url, "shutdown")).code).toBe(0);
      expect(await cli.done).toBe(0);
    } finally {
      cli.stop();
    }
    expect(await waitFor(() => liveChildPids().length === 0)).toBe(true);
  });

  it("refuses a Gateway with several workers (usage error)", async () => {
    const run = await runQuiet("serve", "src/gateway/gateway.ts#Gateway", "--workers", "2");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error INVALID_OPTIONS:");
  });

  it("reports a port in use as ALREADY_RUNNING", async () => {
    await using echo = await startEcho();
    const run = await runQuiet("serve", ECHO_MODULE, "--port", String(echo.port));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error ALREADY_RUNNING:");
  });

  it.each([
    ["a missing module", ["serve", "test/no-such-module.js"]],
    ["a module without services", ["serve", "src/errors.ts"]],
    ["a module with several services", ["serve", TWO_SERVICES]],
    ["a missing export", ["serve", `${ECHO_MODULE}#Nope`]],
    ["an export that is not a service", ["serve", `${ECHO_MODULE}#echoTask`]],
  ])("reports %s as LAUNCH_FAILED (exit code 1)", async (_what, args) => {
    const run = await runQuiet(...args);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("error LAUNCH_FAILED:");
    expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
  });

  it.each([
    ["a missing module argument", ["serve"]],
    ["a bad --port", ["serve", ECHO_MODULE, "--port", "70000"]],
    ["a bad --workers", ["serve", ECHO_MODULE, "--workers", "0"]],
  ])("rejects %s as a usage error (exit code 2)", async (_what, args) => {
    const run = await runQuiet(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error INVALID_OPTIONS:");
  });
});

/** The URLs of app `name`'s instances on `gateway` (none when it is not registered). */
async function instancesOf(gateway: Running<Gateway>, name: string): Promise<string[]> {
  const reply = await gateway.service.app.inject({
    method: "POST",
    url: "/list_apps_with_schemas",
    payload: {},
  });
  const { apps } = reply.json<{ apps: { name: string; instances?: { url: string }[] }[] }>();
  return apps.find((a) => a.name === name)?.instances?.map((i) => i.url) ?? [];
}

describe("portico serve --gateway URL --name NAME", () => {
  it("registers while serving, says so, and unregisters when stopped", async () => {
    await using gateway = await startGateway();
    const args = ["serve", ECHO_MODULE, "--gateway", gateway.url, "--name", "cli-echo"];
    const code = await withCli(args, async (cli) => {
      expect(cli.stdout()).toContain(`Registered cli-echo at ${gateway.url} as ${cli.url}\n`);
      expect(await instancesOf(gateway, "cli-echo")).toEqual([cli.url]);
    });
    expect(code).toBe(0);
    expect(await instancesOf(gateway, "cli-echo")).toEqual([]);
  });

  it("registers a group of workers once, and unregisters it when stopped", async () => {
    await using gateway = await startGateway();
    const args = ["serve", ECHO_MODULE, "--workers", "2", "--gateway", gateway.url];
    const code = await withCli([...args, "--name", "cli-group"], async (cli) => {
      expect(cli.stdout()).toContain(`Registered cli-group at ${gateway.url}`);
      expect(await instancesOf(gateway, "cli-group")).toEqual([cli.url]);
    });
    expect(code).toBe(0);
    expect(await instancesOf(gateway, "cli-group")).toEqual([]);
    expect(await waitFor(() => liveChildPids().length === 0)).toBe(true);
  });

  it("fails with the gateway's refusal when its admin token is missing (exit code 1)", async () => {
    await using gateway = await startGateway({ adminToken: "cli-gw-admin-31f0" });
    const saved = process.env.PORTICO_GATEWAY_TOKEN;
    delete process.env.PORTICO_GATEWAY_TOKEN;
    try {
      const run = await runQuiet("serve", ECHO_MODULE, "--gateway", gateway.url, "--name", "x");
      expect(run.code).toBe(1);
      expect(run.stderr).toContain("error UNAUTHORIZED:");
      const ok = await withCli(
        ["serve", ECHO_MODULE, "--gateway", gateway.url, "--name", "x"].concat(
          "--gateway-token",
          "cli-gw-admin-31f0",
        ),
        async (cli) => expect(await instancesOf(gateway, "x")).toEqual([cli.url]),
      );
      expect(ok).toBe(0);
    } finally {
      if (saved !== undefined) process.env.PORTICO_GATEWAY_TOKEN = saved;
    }
  });

  it.each([
    ["--gateway without --name", ["--gateway", "http://127.0.0.1:9"]],
    ["--name without --gateway", ["--name", "lonely"]],
    [
      "a lease under a second",
      ["--gateway", "http://127.0.0.1:9", "--name", "x", "--lease-ms", "10"],
    ],
    ["a bad --gateway", ["--gateway", "nope", "--name", "x"]],
  ])("rejects %s as a usage error (exit code 2)", async (_what, flags) => {
    const run = await runQuiet("serve", ECHO_MODULE, ...flags);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error INVALID_OPTIONS:");
  });
});

describe("portico gateway", () => {
  it("serves a Gateway that apps register with, until a stop request", async () => {
    await using echo = await startEcho();
    const args = ["gateway", "--upstream-timeout", "5000", "--discovery-timeout", "2000"];
    const code = await withCli(args, async (cli) => {
      expect(cli.stdout()).toContain("Serving Gateway at");
      expect((await runQuiet("register", "echoer", echo.url, "--gateway", cli.url)).code).toBe(0);
      await using client = createServiceClient({ url: `${cli.url}/echoer` }, { echo: echoTask });
      expect(await client.echo({ message: "gw" })).toEqual({ echoed: "gw" });
    });
    expect(code).toBe(0);
  });

  it("rejects a bad --upstream-timeout as a usage error", async () => {
    const run = await runQuiet("gateway", "--upstream-timeout", "-1");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error INVALID_OPTIONS:");
  });
});
