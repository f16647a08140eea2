/**
 * The CLI's registry and change-feed commands, in-process through `runCli`: `gateway --registry /
 * --state / --workers` (parsed, mapped, refused with the in-memory registry, and a durable SQLite
 * gateway served again after a stop), `events` and `apps --watch` following a gateway's `/events`
 * stream. Until the gateway serves `/events` itself, an SSE shim in front of a real in-process
 * Gateway speaks the wire format from the gateway's own feed (`gateway.feed`); a test against a
 * real Gateway's route skips loudly while it is missing.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { Readable } from "node:stream";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Command } from "commander";
import { formatEvent } from "../../src/cli/commands/events.js";
import { gatewayCommandOptions } from "../../src/cli/commands/gateway.js";
import type { GatewayCommandOptions } from "../../src/cli/commands/gateway.js";
import { parseEventStream } from "../../src/cli/event-stream.js";
import { createProgram, runCli } from "../../src/cli/program.js";
import { Gateway } from "../../src/gateway/gateway.js";
import type { GatewayOptions } from "../../src/gateway/gateway.js";
import { isolateEnv, SECURITY_ENV } from "../helpers/env.js";
import { startEcho, startGateway, waitFor } from "../helpers/fixtures.js";
import type { Running } from "../helpers/fixtures.js";
import { liveChildPids } from "../helpers/processes.js";
import { cli } from "../helpers/cli-run.js";

isolateEnv([...SECURITY_ENV, "PORTICO_REGISTRY", "PORTICO_GATEWAY"]);

const scratch = mkdtempSync(join(tmpdir(), "portico-cli-registry-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const silent = { stdout: { write: () => true }, stderr: { write: () => true } };

/** Parses `args` with the gateway command's action replaced by a recorder of its options. */
async function gatewayFlags(args: string[]): Promise<GatewayCommandOptions> {
  const program = createProgram(silent);
  const command = program.commands.find((c) => c.name() === "gateway") as Command;
  let options: GatewayCommandOptions | undefined;
  command.action((flags: GatewayCommandOptions) => {
    options = flags;
  });
  await program.parseAsync(["gateway", ...args], { from: "user" });
  if (options === undefined) throw new Error("the gateway action did not run");
  return options;
}

/** A long-running command in-process: its output so far, a stop request, its exit code. */
interface RunningCli {
  stdout: () => string;
  stderr: () => string;
  stop: () => void;
  done: Promise<number>;
}

function startCli(...args: string[]): RunningCli {
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
  return { stdout: () => out, stderr: () => err, stop: () => listeners.forEach((l) => l()), done };
}

/** Waits (bounded) until `check` holds for the command's output, and says what it saw if not. */
async function expectOutput(cli: RunningCli, check: (out: string) => boolean): Promise<void> {
  const seen = await waitFor(() => check(cli.stdout()), 10_000);
  expect(seen, `stdout: ${cli.stdout()}\nstderr: ${cli.stderr()}`).toBe(true);
}

/** The `Serving ... at <url>` URL of a server command, once printed. */
async function servingUrl(cli: RunningCli): Promise<string> {
  await waitFor(() => /Serving \S+ at http/.test(cli.stdout()), 25_000);
  const url = /Serving \S+ at (http:\/\/\S+)/.exec(cli.stdout())?.[1];
  if (!url) throw new Error(`no Serving line: ${cli.stdout()} ${cli.stderr()}`);
  return url;
}

/** A Gateway served in-process on `registry`, at `port` (default: a free one). */
async function serveGateway(options: GatewayOptions, port = 0): Promise<Running<Gateway>> {
  const gateway = new Gateway(options);
  const served = await gateway.serve({ host: "127.0.0.1", port });
  return Object.assign(served, { service: gateway });
}

/** The JSON objects of a `--json` output, one a line. */
function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe("portico gateway --registry / --state / --workers", () => {
  it("map --registry and --state onto the gateway's registry option", async () => {
    const redis = await gatewayFlags(["--registry", "redis://127.0.0.1:6379/2", "--workers", "3"]);
    expect(redis.workers).toBe(3);
    expect(gatewayCommandOptions(redis)).toMatchObject({ registry: "redis://127.0.0.1:6379/2" });

    const state = await gatewayFlags(["--state", "rel/dir/portico.db"]);
    expect(state.workers).toBe(1);
    expect(gatewayCommandOptions(state).registry).toBe(
      `sqlite://${join(process.cwd(), "rel/dir/portico.db")}`,
    );
    // No flag: the gateway itself reads $PORTICO_REGISTRY, else keeps its apps in memory.
    expect(gatewayCommandOptions(await gatewayFlags([]))).not.toHaveProperty("registry");
  });

  it("map the health and balancing flags onto the gateway's options", async () => {
    const flags = await gatewayFlags([
      "--health-interval",
      "2000",
      "--health-timeout",
      "300",
      "--balance",
      "round-robin",
      "--no-ejection",
    ]);
    expect(gatewayCommandOptions(flags)).toMatchObject({
      health: { intervalMs: 2_000, timeoutMs: 300 },
      passiveHealth: false,
      balance: "round-robin",
    });
    const off = gatewayCommandOptions(await gatewayFlags(["--no-health-checks"]));
    expect(off.health).toBe(false);
    expect(off).not.toHaveProperty("passiveHealth");
    await expect(gatewayFlags(["--balance", "random"])).rejects.toThrow(/random/);
  });

  it("let --state win over $PORTICO_REGISTRY", async () => {
    process.env.PORTICO_REGISTRY = "redis://127.0.0.1:6379/0";
    const flags = await gatewayFlags(["--state", "/tmp/portico-state.db"]);
    expect(gatewayCommandOptions(flags).registry).toBe("sqlite:///tmp/portico-state.db");
  });

  it.each([
    ["--state with --registry", ["--state", "x.db", "--registry", "redis://127.0.0.1:1/0"]],
    ["an unknown scheme", ["--registry", "postgres://u:pw-8c1e@127.0.0.1/x"]],
    ["a bad --workers", ["--workers", "0"]],
  ])("refuse %s as a usage error (exit code 2) that never echoes the URL", async (_what, args) => {
    const run = await cli("gateway", ...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error INVALID_OPTIONS:");
    expect(run.stderr).not.toContain("pw-8c1e");
  });

  it.each([
    ["no registry", []],
    ["--registry memory://", ["--registry", "memory://"]],
    ["$PORTICO_REGISTRY=memory://", [], "memory://"],
    ["a private SQLite memory database", ["--registry", "sqlite::memory:"]],
  ])(
    "refuse --workers 2 with %s (exit code 2), starting nothing",
    async (_what, args: string[], env?: string) => {
      if (env !== undefined) process.env.PORTICO_REGISTRY = env;
      const run = await cli("gateway", "--workers", "2", ...args);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain("error INVALID_OPTIONS:");
      expect(run.stderr).toContain("--state");
      expect(liveChildPids()).toEqual([]);
    },
  );

  it("serve two workers on a SQLite file, whose apps a later gateway on that file still serves", async () => {
    await using echo = await startEcho();
    const file = join(scratch, "cli-state.db");
    const workers = startCli("gateway", "--state", file, "--workers", "2");
    try {
      const url = await servingUrl(workers);
      expect(workers.stdout()).toContain("(2 workers)");
      const registered = await cli("register", "echoer", echo.url, "--gateway", url);
      expect(registered.code).toBe(0);
      for (let i = 0; i < 4; i++) {
        const call = await cli("call", `${url}/echoer`, "echo", '{"message":"w"}');
        expect(JSON.parse(call.stdout)).toEqual({ echoed: "w" });
      }
    } finally {
      workers.stop();
    }
    expect(await workers.done).toBe(0);
    expect(await waitFor(() => liveChildPids().length === 0)).toBe(true);

    // Served again in this process, the file named by $PORTICO_REGISTRY this time.
    process.env.PORTICO_REGISTRY = `sqlite:${file}`;
    const again = startCli("gateway");
    try {
      const url = await servingUrl(again);
      const apps = await cli("apps", "--gateway", url, "--json");
      expect(JSON.parse(apps.stdout)).toMatchObject([
        { name: "echoer", url: echo.url, endpoints: ["echo"] },
      ]);
    } finally {
      again.stop();
    }
    expect(await again.done).toBe(0);
  }, 45_000);
});

describe("portico events", () => {
  it("prints a JSON line for each change as it happens (--json)", async () => {
    await using gateway = await startGateway();
    await using echo = await startEcho();
    const events = startCli("events", "--gateway", gateway.url, "--json");
    try {
      await waitFor(() => events.stderr().includes("Following"));
      const registered = await gateway.service.registerApp("echoer", echo.url);
      await expectOutput(events, (out) => out.includes("\n"));
      await gateway.service.unregisterApp("echoer");
      await expectOutput(events, (out) => jsonLines(out).length === 2);
      const [added, removed] = jsonLines(events.stdout());
      expect(added).toMatchObject({
        type: "app_registered",
        name: "echoer",
        revision: registered.revision,
        app: { name: "echoer", url: echo.url, endpoints: { echo: { name: "echo" } } },
      });
      expect(removed).toEqual({
        type: "app_unregistered",
        name: "echoer",
        revision: (registered.revision ?? 0) + 1,
      });
    } finally {
      events.stop();
    }
    expect(await events.done).toBe(0);
  });

  it("replays from --since, sends --token, and follows the gateway across its restart", async () => {
    await using echo = await startEcho();
    const options = { registry: `sqlite:${join(scratch, "events.db")}`, callToken: "tk-1" };
    const first = await serveGateway(options);
    await first.service.registerApp("first", echo.url);
    const args = ["--gateway", first.url, "--since", "0", "--token", "tk-1"];
    const events = startCli("events", ...args);
    let second: Running<Gateway> | undefined;
    try {
      await expectOutput(events, (out) => out.includes(" first "));
      await first.close();
      // The same gateway again, on its port and file: the stream is reopened from revision 1.
      second = await serveGateway(options, first.port);
      await waitFor(() => events.stderr().split("Following").length === 3);
      expect(events.stderr()).toContain("reopening");
      const registered = await second.service.registerApp("second", echo.url);
      await expectOutput(events, (out) => out.includes(" second "));
      const lines = events.stdout().trimEnd().split("\n");
      expect(lines.map((line) => line.split(/\s+/).slice(1, 5))).toEqual([
        ["app_registered", "first", "revision", "1"],
        ["app_registered", "second", "revision", "2"],
      ]);
      expect(lines[1]).toMatch(new RegExp(`revision ${registered.revision}  ${echo.url}$`));
    } finally {
      events.stop();
      await first.close();
      await second?.close();
    }
    expect(await events.done).toBe(0);
  });

  it("fails with the error's code: nothing listening, no token, not a gateway, bad --since", async () => {
    const nowhere = await cli("events", "--gateway", "http://127.0.0.1:1");
    expect([nowhere.code, nowhere.stderr]).toEqual([
      1,
      expect.stringContaining("error SERVICE_UNAVAILABLE:"),
    ]);
    await using gateway = await startGateway({ callToken: "tk-2" });
    const refused = await cli("events", "--gateway", gateway.url);
    expect([refused.code, refused.stderr]).toEqual([
      1,
      expect.stringContaining("error UNAUTHORIZED:"),
    ]);
    await using echo = await startEcho();
    const notGateway = await cli("events", "--gateway", echo.url);
    expect([notGateway.code, notGateway.stderr]).toEqual([
      1,
      expect.stringContaining("error ENDPOINT_NOT_FOUND:"),
    ]);
    const usage = await cli("events", "--gateway", gateway.url, "--since", "-1");
    expect([usage.code, usage.stderr]).toEqual([
      2,
      expect.stringContaining("error INVALID_OPTIONS:"),
    ]);
  });

  it("formats a line as time, type, name, revision (and URL)", () => {
    const at = new Date("2025-01-02T03:04:05.678Z");
    const app = { name: "echoer", url: "http://127.0.0.1:8080", endpoints: {} };
    expect(formatEvent({ type: "app_registered", revision: 7, name: "echoer", app }, at)).toBe(
      "2025-01-02T03:04:05.678Z  app_registered    echoer  revision 7  http://127.0.0.1:8080",
    );
    expect(formatEvent({ type: "resync", revision: 9 }, at)).toBe(
      "2025-01-02T03:04:05.678Z  resync            -  revision 9",
    );
  });
});

describe("the event-stream reader", () => {
  async function parse(...chunks: string[]): Promise<unknown[]> {
    const messages: unknown[] = [];
    // One chunk at a time, as a socket delivers them.
    const source = Readable.from(chunks.map((chunk) => Buffer.from(chunk)));
    for await (const message of parseEventStream(source)) messages.push(message);
    return messages;
  }

  it("follows the SSE rules: CRLF or CR, split chunks, multi-line data, comments, ids", async () => {
    expect(
      await parse(
        '\uFEFFretry: 1000\r\n\r\n: ping\n\nevent: app_registered\r\nid: 4\r\ndata: {"a":',
        "1}\r",
        "\n\r\ndata: line one\rdata:line two\r\revent: empty\n\n",
        "id: 5\nevent: resync\ndata: {}\n\nevent: unfinished\ndata: x",
      ),
    ).toEqual([
      { event: "app_registered", id: "4", data: '{"a":1}' },
      // The parser is the gateway client's: an id belongs to its own event only.
      { event: "message", id: "", data: "line one\nline two" },
      { event: "resync", id: "5", data: "{}" },
    ]);
  });
});

describe("portico apps --watch", () => {
  it("prints the apps, then again on every change, until stopped", async () => {
    await using gateway = await startGateway();
    await using echo = await startEcho();
    const watch = startCli("apps", "--gateway", gateway.url, "--watch");
    try {
      await expectOutput(watch, (out) => out.includes("No apps registered."));
      await gateway.service.registerApp("echoer", echo.url);
      await expectOutput(watch, (out) => /echoer\s+http:\S+\s+healthy\s+\S+\s+echo/.test(out));
      await gateway.service.unregisterApp("echoer");
      await expectOutput(watch, (out) => out.split("No apps registered.").length === 3);
      expect(watch.stdout()).toMatch(/^# \S+ revision 0\nNo apps registered\.\n# \S+ revision 1\n/);
    } finally {
      watch.stop();
    }
    expect(await watch.done).toBe(0);
  });

  it("prints one JSON array a line with --json", async () => {
    await using gateway = await startGateway();
    await using echo = await startEcho();
    const watch = startCli("apps", "--gateway", gateway.url, "--watch", "--json");
    try {
      await expectOutput(watch, (out) => out === "[]\n");
      await gateway.service.registerApp("echoer", echo.url);
      await expectOutput(watch, (out) => out.split("\n").length === 3);
      expect(
        watch
          .stdout()
          .split("\n")
          .slice(0, 2)
          .map((line) => JSON.parse(line) as unknown),
      ).toMatchObject([[], [{ name: "echoer", url: echo.url, endpoints: ["echo"] }]]);
    } finally {
      watch.stop();
    }
    expect(await watch.done).toBe(0);
  });
});
