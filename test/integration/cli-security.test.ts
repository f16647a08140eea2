/**
 * The CLI's security flags: `serve` and `gateway` parse them into ServiceOptions/GatewayOptions
 * (checked by swapping the command's action for a recorder), bad values are usage errors that
 * never echo a token, `--host` refuses names that are not hosts, and the client commands send
 * `--token` / `$PORTICO_TOKEN` (checked against a raw server that records Authorization).
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { Command } from "commander";
import { gatewayCommandOptions } from "../../src/cli/commands/gateway.js";
import type { GatewayCommandOptions } from "../../src/cli/commands/gateway.js";
import type { ServeCommandOptions } from "../../src/cli/commands/serve.js";
import { createProgram, runCli } from "../../src/cli/program.js";
import { policyOptionsFrom, serviceOptionsFrom } from "../../src/cli/security-options.js";
import { createServiceClient } from "../../src/client/create-client.js";
import { InvalidOptionsError } from "../../src/errors.js";
import { echoTask } from "../../src/samples/echo-service.js";
import { resolveListenAddress } from "../../src/service/serve.js";
import { waitFor } from "../helpers/fixtures.js";
import { expectThrows } from "../helpers/expect-error.js";
import { liveChildPids } from "../helpers/processes.js";
import { cli } from "../helpers/cli-run.js";

const ECHO_MODULE = "src/samples/echo-service.ts";
const SECRET = "tok-5e1f0c2b7a";
const ENV_NAMES = [
  "PORTICO_ADMIN_TOKEN",
  "PORTICO_CALL_TOKEN",
  "PORTICO_TOKEN",
  "PORTICO_ALLOWED_UPSTREAMS",
];
const savedEnv = Object.fromEntries(ENV_NAMES.map((name) => [name, process.env[name]]));
afterEach(() => {
  for (const name of ENV_NAMES) {
    if (savedEnv[name] === undefined) delete process.env[name];
    else process.env[name] = savedEnv[name];
  }
});

const silent = { stdout: { write: () => true }, stderr: { write: () => true } };

/** Parses `args` with the named command's action replaced by a recorder of its options. */
async function parsedOptions<T>(name: string, args: string[]): Promise<T> {
  const program = createProgram(silent);
  const command = program.commands.find((c) => c.name() === name) as Command;
  let options: T | undefined;
  command.action((...params: unknown[]) => {
    options = params[params.length - 2] as T;
  });
  await program.parseAsync([name, ...args], { from: "user" });
  if (options === undefined) throw new Error(`the ${name} action did not run`);
  return options;
}

describe("server flags", () => {
  it("map every gateway flag onto GatewayOptions", async () => {
    const flags = await parsedOptions<GatewayCommandOptions>("gateway", [
      "--admin-token",
      SECRET,
      "--call-token",
      "caller",
      "--insecure",
      "--allowed-host",
      "gw.example.com",
      "--allowed-host",
      "10.1.2.3",
      "--allowed-origin",
      "https://ops.example",
      "--trust-proxy",
      "10.0.0.0/8,::1",
      "--rate-limit",
      "600",
      "--request-timeout",
      "20000",
      "--headers-timeout",
      "5000",
      "--allow-upstream",
      "127.0.0.1/32",
      "--allow-upstream",
      "api.internal,*.svc.local",
      "--max-body-bytes",
      "1048576",
      "--discovery-max-bytes",
      "65536",
      "--connect-timeout",
      "2000",
      "--max-in-flight",
      "32",
    ]);
    expect(gatewayCommandOptions(flags)).toEqual({
      adminToken: SECRET,
      callToken: "caller",
      allowInsecure: true,
      allowedHosts: ["gw.example.com", "10.1.2.3"],
      allowedOrigins: ["https://ops.example"],
      trustProxy: ["10.0.0.0/8", "::1"],
      rateLimit: { max: 600, windowMs: 60_000 },
      requestTimeout: 20_000,
      headersTimeout: 5_000,
      allowedUpstreams: ["127.0.0.1/32", "api.internal", "*.svc.local"],
      maxBodyBytes: 1_048_576,
      discoveryMaxBytes: 65_536,
      connectTimeout: 2_000,
      maxInFlightPerApp: 32,
      upstreamTimeout: 30_000,
      discoveryTimeout: 5_000,
    });
  });

  it("leave every option unset when no flag is given", async () => {
    for (const name of ENV_NAMES) delete process.env[name];
    const flags = await parsedOptions<GatewayCommandOptions>("gateway", []);
    expect(gatewayCommandOptions(flags)).toEqual({
      upstreamTimeout: 30_000,
      discoveryTimeout: 5_000,
    });
  });

  it("read the tokens and the upstream allow-list from the environment", async () => {
    process.env.PORTICO_ADMIN_TOKEN = SECRET;
    process.env.PORTICO_CALL_TOKEN = "caller";
    process.env.PORTICO_ALLOWED_UPSTREAMS = "10.0.0.0/8, api.internal";
    const flags = await parsedOptions<GatewayCommandOptions>("gateway", ["--trust-proxy"]);
    expect(gatewayCommandOptions(flags)).toMatchObject({
      adminToken: SECRET,
      callToken: "caller",
      trustProxy: true,
      allowedUpstreams: ["10.0.0.0/8", "api.internal"],
    });
    // A flag wins over the environment.
    const given = await parsedOptions<GatewayCommandOptions>("gateway", [
      "--allow-upstream",
      "127.0.0.1",
    ]);
    expect(given.allowUpstream).toEqual(["127.0.0.1"]);
  });

  it("give serve the same options, and keep tokens apart from what workers get as JSON", async () => {
    const flags = await parsedOptions<ServeCommandOptions>("serve", [
      ECHO_MODULE,
      "--workers",
      "2",
      "--admin-token",
      SECRET,
      "--allowed-origin",
      "http://127.0.0.1:3000/",
      "--rate-limit",
      "10",
    ]);
    expect(serviceOptionsFrom(flags)).toEqual({
      adminToken: SECRET,
      allowedOrigins: ["http://127.0.0.1:3000"],
      rateLimit: { max: 10, windowMs: 60_000 },
    });
    const json = policyOptionsFrom(flags);
    expect(json).toEqual({
      allowedOrigins: ["http://127.0.0.1:3000"],
      rateLimit: { max: 10, windowMs: 60_000 },
    });
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it("turn the MCP endpoint off (--no-mcp) or move it (--mcp-path), for workers too", async () => {
    const off = await parsedOptions<ServeCommandOptions>("serve", [ECHO_MODULE, "--no-mcp"]);
    expect(policyOptionsFrom(off)).toEqual({ mcp: false });
    const moved = await parsedOptions<GatewayCommandOptions>("gateway", ["--mcp-path", "/agents"]);
    expect(policyOptionsFrom(moved)).toEqual({ mcp: { path: "/agents" } });
    const plain = await parsedOptions<ServeCommandOptions>("serve", [ECHO_MODULE]);
    expect(policyOptionsFrom(plain)).toEqual({});
  });

  it.each([
    ["--trust-proxy", "not-a-cidr"],
    ["--trust-proxy", "10.0.0.0/33"],
    ["--allow-upstream", "http://10.0.0.1"],
    ["--allowed-origin", "https://ops.example/path"],
    ["--allowed-host", "bad_host"],
    ["--rate-limit", "0"],
    ["--request-timeout", "soon"],
    ["--max-body-bytes", "-1"],
    ["--max-in-flight", "1.5"],
    ["--host", "0.0.0.0.0"],
    ["--host", "1.2.3"],
    ["--host", "-bad.example"],
  ])("refuse gateway %s %j as a usage error (exit code 2)", async (flag, value) => {
    const run = await cli("gateway", flag, value);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error INVALID_OPTIONS:");
  });

  it("refuse serve --host 0.0.0.0.0 before loading anything", async () => {
    const run = await cli("serve", ECHO_MODULE, "--host", "0.0.0.0.0");
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error INVALID_OPTIONS:");
  });

  it.each([
    ["an empty admin token", ["gateway", "--admin-token", ""]],
    ["a call token with a space", ["gateway", "--call-token", `${SECRET} x`]],
    ["a serve token with a newline", ["serve", ECHO_MODULE, "--admin-token", `${SECRET}\n`]],
    [
      "a client token with a space",
      ["call", "http://127.0.0.1:1", "status", "--token", `a ${SECRET}`],
    ],
  ])("refuse %s as a usage error without showing it", async (_what, args) => {
    const run = await cli(...args);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("error INVALID_OPTIONS:");
    expect(run.stderr).not.toContain(SECRET);
  });

  it("never show token values in help", async () => {
    process.env.PORTICO_ADMIN_TOKEN = SECRET;
    process.env.PORTICO_TOKEN = SECRET;
    for (const command of ["serve", "gateway", "call", "apps"]) {
      const run = await cli(command, "--help");
      expect(run.code).toBe(0);
      expect(run.stdout).toContain("--");
      expect(run.stdout).not.toContain(SECRET);
    }
  });
});

describe("listen hosts", () => {
  it.each(["127.0.0.1", "::1", "::", "0.0.0.0", "localhost", "my-host.internal", "host.local."])(
    "accepts %j",
    (host) => {
      expect(resolveListenAddress({ host }).host).toBe(host);
    },
  );

  it.each([
    "0.0.0.0.0",
    "1.2.3",
    "256.1.1.1",
    "a..b",
    "-a.example",
    "a_b",
    "",
    "x".repeat(64),
    "0x7f",
  ])("refuses %j with INVALID_OPTIONS", (host) => {
    expectThrows(() => resolveListenAddress({ host }), InvalidOptionsError, "INVALID_OPTIONS");
  });
});

describe("client commands", () => {
  /** A loopback server that answers every POST with `{}` and records Authorization headers. */
  async function recorder(): Promise<
    { url: string; seen: (string | undefined)[] } & AsyncDisposable
  > {
    const seen: (string | undefined)[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers.authorization);
      req.resume();
      const body = req.url?.startsWith("/list_apps")
        ? { apps: [] }
        : req.url === "/heartbeat"
          ? { heartbeat: { status: "Available", server_id: "recorder", message: "ok" } }
          : { status: "Available" };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `http://127.0.0.1:${port}`,
      seen,
      [Symbol.asyncDispose]: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  it("send --token, or $PORTICO_TOKEN, with call and with the gateway commands", async () => {
    delete process.env.PORTICO_TOKEN;
    await using server = await recorder();
    expect((await cli("call", server.url, "status", "--token", SECRET)).code).toBe(0);
    expect((await cli("apps", "--gateway", server.url, "--token", SECRET)).code).toBe(0);
    process.env.PORTICO_TOKEN = "from-env";
    expect((await cli("call", server.url, "status")).code).toBe(0);
    expect(server.seen[0]).toBe(`Bearer ${SECRET}`);
    expect(server.seen.length).toBeGreaterThan(2);
    expect(new Set(server.seen.slice(0, -1))).toEqual(new Set([`Bearer ${SECRET}`]));
    expect(server.seen.at(-1)).toBe("Bearer from-env");
  });
});

describe("a gateway with an admin token", () => {
  it("is administered with --token, and the token never shows in its output", async () => {
    for (const name of ENV_NAMES) delete process.env[name];
    let out = "";
    const listeners = new Set<() => void>();
    const done = runCli(["gateway", "--admin-token", SECRET], {
      stdout: { write: (text: string) => (out += text) },
      stderr: { write: (text: string) => (out += text) },
      onStop: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    });
    let exited = false;
    void done.then(() => (exited = true));
    try {
      expect(await waitFor(() => exited || out.includes("Serving "), 20_000)).toBe(true);
      const url = /Serving \S+ at (http:\/\/\S+)/.exec(out)?.[1] as string;
      // Without the token: refused once the server enforces it, accepted before that.
      const anonymous = await cli("unregister", "ghost", "--gateway", url);
      expect([0, 1]).toContain(anonymous.code);
      if (anonymous.code === 1) expect(anonymous.stderr).toContain("error UNAUTHORIZED:");
      const stop = await cli("call", url, "shutdown", "--token", SECRET);
      expect(stop.code).toBe(0);
      expect(await done).toBe(0);
      expect(out).not.toContain(SECRET);
    } finally {
      listeners.forEach((l) => l());
    }
  });
});

describe("serve with workers and tokens", () => {
  it("hands the tokens to the workers through the environment only", async () => {
    for (const name of ENV_NAMES) delete process.env[name];
    let out = "";
    const listeners = new Set<() => void>();
    const args = ["serve", `${ECHO_MODULE}#EchoService`, "--workers", "2"];
    const done = runCli([...args, "--admin-token", SECRET, "--call-token", "caller-x"], {
      stdout: { write: (text: string) => (out += text) },
      stderr: { write: (text: string) => (out += text) },
      onStop: (listener) => {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    });
    let exited = false;
    void done.then(() => (exited = true));
    try {
      expect(await waitFor(() => exited || out.includes("Serving "), 20_000)).toBe(true);
      const url = /Serving \S+ at (http:\/\/\S+)/.exec(out)?.[1] as string;
      const [primary] = liveChildPids();
      const cmdline = readFileSync(`/proc/${primary}/cmdline`, "utf8");
      expect(cmdline).not.toContain(SECRET);
      expect(cmdline).not.toContain("caller-x");
      expect(readFileSync(`/proc/${primary}/environ`, "utf8").split("\0")).toContain(
        `PORTICO_ADMIN_TOKEN=${SECRET}`,
      );
      await using client = createServiceClient({ url, token: "caller-x" }, { echo: echoTask });
      expect(await client.echo({ message: "w" })).toEqual({ echoed: "w" });
      expect((await cli("call", url, "shutdown", "--token", SECRET)).code).toBe(0);
      expect(await done).toBe(0);
      expect(out).not.toContain(SECRET);
    } finally {
      listeners.forEach((l) => l());
    }
    expect(await waitFor(() => liveChildPids().length === 0)).toBe(true);
  });
});
