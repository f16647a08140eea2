/**
 * The client commands of the CLI (`apps`, `register`, `unregister`, `call`) run in-process
 * through `runCli` against real servers on 127.0.0.1, and every bad-input path: exit code 2 for
 * usage errors, 1 for runtime errors, one line on stderr with the error code.
 */
import { CommanderError } from "commander";
import { describe, expect, it } from "vitest";
import { createProgram } from "../../src/cli/program.js";
import { startEcho, startGateway } from "../helpers/fixtures.js";
import { cli } from "../helpers/cli-run.js";
import type { CliRun as Run } from "../helpers/cli-run.js";

/** Asserts a failed run: its exit code, and one stderr line naming the error code. */
function expectFailure(run: Run, exitCode: 1 | 2, code: string): void {
  expect(run.code).toBe(exitCode);
  expect(run.stderr).toContain(`error ${code}:`);
  expect(run.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(run.stdout).toBe("");
}

// Nothing listens on port 1 of the loopback interface.
const NOWHERE = "http://127.0.0.1:1";

describe("portico call", () => {
  it("calls an endpoint and prints the JSON result", async () => {
    await using echo = await startEcho();
    const run = await cli("call", echo.url, "echo", '{"message":"hi"}');
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(run.stdout)).toEqual({ echoed: "hi" });
  });

  it("calls built-in endpoints, with GET when asked", async () => {
    await using echo = await startEcho();
    const status = await cli("call", echo.url, "status");
    expect(JSON.parse(status.stdout)).toEqual({ status: "Available" });
    const heartbeat = await cli("call", echo.url, "heartbeat", "--method", "GET");
    expect(JSON.parse(heartbeat.stdout).heartbeat.server_id).toBe(echo.service.id);
  });

  it("calls an app through its gateway URL", async () => {
    await using echo = await startEcho();
    await using gw = await startGateway();
    await gw.service.registerApp("echoer", echo.url);
    const run = await cli("call", `${gw.url}/echoer`, "echo", '{"message":"via"}');
    expect(JSON.parse(run.stdout)).toEqual({ echoed: "via" });
  });

  it("reports the server's error codes with exit code 1", async () => {
    await using echo = await startEcho();
    await using gw = await startGateway();
    expectFailure(await cli("call", echo.url, "echo", '{"message":1}'), 1, "VALIDATION_FAILED");
    expectFailure(await cli("call", echo.url, "nope"), 1, "ENDPOINT_NOT_FOUND");
    expectFailure(await cli("call", `${gw.url}/ghost`, "echo"), 1, "APP_NOT_REGISTERED");
  });

  it("reports an unreachable URL and a timeout with exit code 1", async () => {
    await using echo = await startEcho();
    expectFailure(await cli("call", NOWHERE, "echo"), 1, "SERVICE_UNAVAILABLE");
    const slow = await cli(
      "call",
      echo.url,
      "echo",
      '{"message":"x","delay":5}',
      "--timeout",
      "50",
    );
    expectFailure(slow, 1, "REQUEST_TIMEOUT");
  });

  it("prints stack traces only with --verbose", async () => {
    const quiet = await cli("call", NOWHERE, "echo");
    expect(quiet.stderr).not.toMatch(/^\s+at /m);
    const verbose = await cli("--verbose", "call", NOWHERE, "echo");
    expect(verbose.code).toBe(1);
    expect(verbose.stderr).toContain("error SERVICE_UNAVAILABLE:");
    expect(verbose.stderr).toMatch(/^\s+at /m);
  });

  it.each([
    ["invalid JSON input", ["call", NOWHERE, "echo", "{oops"]],
    ["a missing argument", ["call", NOWHERE]],
    ["an unknown option", ["call", NOWHERE, "echo", "--bogus"]],
    ["a URL that is not http(s)", ["call", "ftp://example.com", "echo"]],
    ["a relative URL", ["call", "localhost:8080", "echo"]],
    ["a bad --timeout", ["call", NOWHERE, "echo", "--timeout", "soon"]],
    ["an unknown --method", ["call", NOWHERE, "echo", "--method", "TRACE"]],
    ["input for a GET call", ["call", NOWHERE, "echo", "{}", "--method", "GET"]],
    ["too many arguments", ["call", NOWHERE, "echo", "{}", "extra"]],
    ["an unknown command", ["cal", NOWHERE]],
  ])("rejects %s as a usage error (exit code 2)", async (_what, args) => {
    expectFailure(await cli(...args), 2, "INVALID_OPTIONS");
  });
});

describe("portico apps / register / unregister", () => {
  it("registers, lists and unregisters an app", async () => {
    await using echo = await startEcho();
    await using gw = await startGateway();
    const registered = await cli("register", "echoer", echo.url, "--gateway", gw.url);
    expect(registered).toMatchObject({ code: 0, stderr: "" });
    expect(registered.stdout).toContain("echoer");

    const table = await cli("apps", "--gateway", gw.url);
    expect(table.code).toBe(0);
    // One line per instance: URL, health as this gateway sees it, last check, endpoints.
    expect(table.stdout).toMatch(new RegExp(`echoer\\s+${echo.url}\\s+healthy\\s+\\S+\\s+echo`));
    const json = await cli("apps", "--gateway", gw.url, "--json");
    expect(JSON.parse(json.stdout)).toMatchObject([
      {
        name: "echoer",
        url: echo.url,
        kind: "portico",
        endpoints: ["echo"],
        instances: [{ url: echo.url, health: "healthy" }],
      },
    ]);

    const removed = await cli("unregister", "echoer", "--gateway", gw.url);
    expect(removed).toMatchObject({ code: 0, stderr: "" });
    await gw.service.registerApp("other", echo.url);
    const after = await cli("apps", "--gateway", gw.url, "--json");
    expect(JSON.parse(after.stdout).map((a: { name: string }) => a.name)).toEqual(["other"]);
  });

  it("lists no apps as an empty table or []", async () => {
    await using gw = await startGateway();
    const table = await cli("apps", "--gateway", gw.url);
    expect(table).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse((await cli("apps", "--gateway", gw.url, "--json")).stdout)).toEqual([]);
  });

  it("registers an app whose endpoints cannot be fetched, with a warning", async () => {
    await using gw = await startGateway({ discoveryTimeout: 1_000 });
    const run = await cli("register", "later", NOWHERE, "--gateway", gw.url);
    expect(run.code).toBe(0);
    expect(run.stderr).not.toBe(""); // the warning
    const listed = await cli("apps", "--gateway", gw.url, "--json");
    expect(JSON.parse(listed.stdout)).toMatchObject([
      { name: "later", url: NOWHERE, kind: "http", endpoints: [] },
    ]);
  });

  it("reports the gateway's error codes with exit code 1", async () => {
    await using echo = await startEcho();
    await using gw = await startGateway();
    const gateway = ["--gateway", gw.url];
    expectFailure(await cli("unregister", "ghost", ...gateway), 1, "APP_NOT_REGISTERED");
    expectFailure(await cli("register", "bad name", echo.url, ...gateway), 1, "INVALID_APP_NAME");
    expectFailure(await cli("register", "status", echo.url, ...gateway), 1, "INVALID_APP_NAME");
    expectFailure(await cli("apps", "--gateway", NOWHERE), 1, "SERVICE_UNAVAILABLE");
    expectFailure(await cli("apps", "--gateway", echo.url), 1, "ENDPOINT_NOT_FOUND");
  });

  it.each([
    ["a missing --gateway", ["apps"]],
    ["a bad --gateway URL", ["apps", "--gateway", "not a url"]],
    ["a missing app URL", ["register", "echoer", "--gateway", NOWHERE]],
    ["a bad app URL", ["register", "echoer", "mailto:x@y", "--gateway", NOWHERE]],
    ["a missing app name", ["unregister", "--gateway", NOWHERE]],
    ["an unknown option", ["apps", "--gateway", NOWHERE, "--yaml"]],
  ])("rejects %s as a usage error (exit code 2)", async (_what, args) => {
    expectFailure(await cli(...args), 2, "INVALID_OPTIONS");
  });
});

describe("createProgram", () => {
  const io = () => {
    const text = { out: "", err: "" };
    return {
      text,
      io: {
        stdout: { write: (t: string) => (text.out += t) },
        stderr: { write: (t: string) => (text.err += t) },
      },
    };
  };

  it.each([[], ["serve"], ["gateway"], ["apps"], ["register"], ["unregister"], ["call"]])(
    "prints help with a description and an example: %s --help",
    async (...command: string[]) => {
      const { text, io: streams } = io();
      const parsing = createProgram(streams).parseAsync([...command, "--help"], { from: "user" });
      await expect(parsing).rejects.toMatchObject({ exitCode: 0, code: "commander.helpDisplayed" });
      expect(text.out).toContain("Usage: portico");
      expect(text.out).toContain("Examples:");
      expect(text.out).toContain("$ portico ");
    },
  );

  it("throws CommanderError instead of exiting, and writes no error itself", async () => {
    const { text, io: streams } = io();
    const parsing = createProgram(streams).parseAsync(["call"], { from: "user" });
    await expect(parsing).rejects.toBeInstanceOf(CommanderError);
    expect(text.err).toBe("");
  });

  it("prints help on stderr and exits 2 without a command, 0 with --version", async () => {
    const none = await cli();
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("Usage: portico");
    const version = await cli("--version");
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+/);
  });
});
