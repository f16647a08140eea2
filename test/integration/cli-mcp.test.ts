/**
 * MCP servers as apps from the command line, in-process through `runCli` against a real gateway
 * and real MCP servers (test/helpers/mcp-server-fixtures.ts): `register --mcp` and detection,
 * `apps` (table and JSON) showing the MCP app, and `call` through the gateway.
 */
import { describe, expect, it } from "vitest";
import { Gateway } from "../../src/gateway/gateway.js";
import { isolateEnv, SECURITY_ENV } from "../helpers/env.js";
import { serveOn } from "../helpers/fixtures.js";
import { FAIL_TEXT, forecastOf, startMcpServer } from "../helpers/mcp-server-fixtures.js";
import { cli } from "../helpers/cli-run.js";

isolateEnv([...SECURITY_ENV, "PORTICO_GATEWAY"]);

function startGateway() {
  return serveOn(new Gateway({ health: false }));
}

describe("portico register --mcp / apps / call", () => {
  it("registers an MCP server with --mcp, prints the registration, and apps shows it", async () => {
    await using server = await startMcpServer("sdk2");
    await using gateway = await startGateway();
    const gw = ["--gateway", gateway.url];

    const registered = await cli("register", "weather", server.mcpUrl, "--mcp", ...gw);
    expect(registered).toEqual({
      code: 0,
      stdout: `Registered weather at ${server.mcpUrl} (3 endpoints: fail, get_forecast, shout)\n`,
      stderr: "",
    });

    const table = await cli("apps", ...gw);
    expect(table).toMatchObject({ code: 0, stderr: "" });
    expect(table.stdout).toMatch(/^NAME\s+INSTANCE\s+HEALTH\s+LAST CHECK\s+ENDPOINTS$/m);
    expect(table.stdout).toMatch(
      new RegExp(`^weather\\s+${server.mcpUrl}\\s+\\S+\\s+\\S+\\s+fail, get_forecast, shout$`, "m"),
    );

    const json = await cli("apps", "--json", ...gw);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({
        name: "weather",
        url: server.mcpUrl,
        kind: "mcp",
        mcp: "",
        endpoints: ["fail", "get_forecast", "shout"],
        instances: [expect.objectContaining({ url: server.mcpUrl })],
      }),
    ]);
  });

  it("detects an MCP server without --mcp (its base URL: path /mcp)", async () => {
    await using server = await startMcpServer("sdk1");
    await using gateway = await startGateway();
    const gw = ["--gateway", gateway.url];
    const registered = await cli("register", "weather", server.url, ...gw);
    expect(registered).toMatchObject({ code: 0, stderr: "" });
    expect(registered.stdout).toContain("3 endpoints: fail, get_forecast, shout");
    const [app] = JSON.parse((await cli("apps", "--json", ...gw)).stdout) as {
      kind: string;
      mcp: string;
    }[];
    expect(app).toMatchObject({ kind: "mcp", mcp: "/mcp" });
  });

  it("calls the MCP app's tools through the gateway; a tool error exits 1 with TOOL_ERROR", async () => {
    await using server = await startMcpServer("sdk2");
    await using gateway = await startGateway();
    await gateway.service.registerApp("weather", server.url, { kind: "mcp" });
    const app = `${gateway.url}/weather`;

    const forecast = await cli("call", app, "get_forecast", '{"city":"Bergen"}');
    expect(forecast).toMatchObject({ code: 0, stderr: "" });
    expect(JSON.parse(forecast.stdout)).toEqual(forecastOf("Bergen"));
    expect(server.calls).toEqual(["get-forecast"]);

    const failed = await cli("call", app, "fail", "{}");
    expect(failed.code).toBe(1);
    expect(failed.stdout).toBe("");
    expect(failed.stderr).toContain("error TOOL_ERROR:");
    expect(failed.stderr).toContain(FAIL_TEXT);
  });

  it("documents --mcp in register's help", async () => {
    const help = await cli("register", "--help");
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/--mcp\s+the URL is an MCP server/);
    expect(help.stdout).toContain("--mcp --gateway");
  });
});
