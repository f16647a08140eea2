/**
 * `client.mcp()` of every Portico client: an official SDK 2.x client connected to the server's
 * `/mcp` with the Portico client's token, against a real service, a real gateway and the MCP
 * fixture servers (which record what clients send): the protocol it negotiates (`auto`, `legacy`,
 * a pinned revision), `path`, `clientInfo`, `listChanged`, the caller token (401 without it), and
 * the Portico client's `close()` closing every MCP client it handed out.
 */
import { describe, expect, it } from "vitest";
import { Client } from "@modelcontextprotocol/client";
import type { StreamableHTTPClientTransport, Tool } from "@modelcontextprotocol/client";
import { ConnectionManager } from "../../src/client/connection-manager.js";
import { Gateway } from "../../src/gateway/gateway.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { isolateEnv } from "../helpers/env.js";
import { serveOn, startEcho } from "../helpers/fixtures.js";
import { forecastOf, startMcpServer } from "../helpers/mcp-server-fixtures.js";

isolateEnv();

const TOKEN = "mcp-client-call-token-1";

/** The session id of a client's transport (2025 connections have one; 2026 ones do not). */
function sessionOf(client: Client): string | undefined {
  return (client.transport as StreamableHTTPClientTransport | undefined)?.sessionId;
}

/** The error `promise` rejects with (fails the test if it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

/** The HTTP status an SDK error carries (its own field or its data). */
function httpStatus(error: unknown): number | undefined {
  const e = error as { status?: unknown; data?: { status?: unknown } };
  const status = e.status ?? e.data?.status;
  return typeof status === "number" ? status : undefined;
}

describe("client.mcp() against a service", () => {
  it("is an SDK client on <url>/mcp: 2026-07-28 by default, tools listed, calls work", async () => {
    await using echo = await startEcho();
    await using client = await EchoService.connect(echo.url);
    const mcp = await client.mcp();
    expect(mcp).toBeInstanceOf(Client);
    expect(mcp.getNegotiatedProtocolVersion()).toBe("2026-07-28");
    expect(sessionOf(mcp)).toBeUndefined();
    const { tools } = await mcp.listTools();
    expect(tools.map((t: Tool) => t.name).sort()).toEqual(["echo", "heartbeat", "status"]);
    const result = await mcp.callTool({ name: "echo", arguments: { message: "hi" } });
    expect(result.isError ?? false).toBe(false);
    expect(result.structuredContent).toEqual({ echoed: "hi" });
    // The Portico client goes on as before.
    expect(await client.echo({ message: "still" })).toEqual({ echoed: "still" });
  });

  it('protocol "legacy" connects with the 2025 handshake; a pinned revision is that revision', async () => {
    await using echo = await startEcho();
    await using client = await EchoService.connect(echo.url);
    const legacy = await client.mcp({ protocol: "legacy" });
    expect(legacy.getNegotiatedProtocolVersion()).toMatch(/^2025-/);
    // The 2025 handshake opened a session (Mcp-Session-Id), as only it does.
    expect(sessionOf(legacy)).toEqual(expect.any(String));
    const result = await legacy.callTool({ name: "echo", arguments: { message: "old" } });
    expect(result.structuredContent).toEqual({ echoed: "old" });

    const pinned = await client.mcp({ protocol: "2026-07-28", timeout: 10_000 });
    expect(pinned.getNegotiatedProtocolVersion()).toBe("2026-07-28");
    expect(sessionOf(pinned)).toBeUndefined();
    expect((await pinned.listTools()).tools.map((t: Tool) => t.name)).toContain("echo");
  });

  it("path: the service's MCP endpoint where it was moved", async () => {
    await using echo = await serveOn(new EchoService({ mcp: { path: "/tools" } }));
    await using client = await EchoService.connect(echo.url);
    const mcp = await client.mcp({ path: "/tools" });
    const result = await mcp.callTool({ name: "echo", arguments: { message: "moved" } });
    expect(result.structuredContent).toEqual({ echoed: "moved" });
    // Nothing answers MCP at /mcp there.
    expect(await rejection(client.mcp())).toBeInstanceOf(Error);
  });

  it("sends the Portico client's token: with a callToken, without it 401", async () => {
    await using echo = await serveOn(new EchoService({ callToken: TOKEN }));
    await using client = await EchoService.connect(echo.url, { token: TOKEN });
    for (const protocol of ["auto", "legacy"] as const) {
      const mcp = await client.mcp({ protocol });
      const result = await mcp.callTool({ name: "echo", arguments: { message: protocol } });
      expect(result.structuredContent).toEqual({ echoed: protocol });
    }

    await using anonymous = new ConnectionManager({ url: echo.url });
    for (const protocol of ["auto", "legacy"] as const) {
      const error = await rejection(anonymous.mcp({ protocol }));
      expect(httpStatus(error), `${protocol}: ${String(error)}`).toBe(401);
    }
    // A token that is not the service's: 403 FORBIDDEN, as for any call.
    await using wrong = new ConnectionManager({ url: echo.url, token: "not-the-token" });
    expect(httpStatus(await rejection(wrong.mcp()))).toBe(403);
  });

  it("close() of the Portico client closes every MCP client it handed out, and only those", async () => {
    await using echo = await startEcho();
    const client = await EchoService.connect(echo.url);
    const modern = await client.mcp();
    const legacy = await client.mcp({ protocol: "legacy" });
    // One the caller closed itself is simply gone from the set.
    const early = await client.mcp();
    await early.close();
    await using other = await EchoService.connect(echo.url);
    const untouched = await other.mcp();

    await client.close();

    for (const closed of [modern, legacy]) {
      expect(closed.transport).toBeUndefined();
      const error = await rejection(closed.callTool({ name: "echo", arguments: { message: "x" } }));
      expect(String(error)).toMatch(/not connected/i);
    }
    const result = await untouched.callTool({ name: "echo", arguments: { message: "other" } });
    expect(result.structuredContent).toEqual({ echoed: "other" });
    await client.close(); // idempotent
  });
});

describe("client.mcp() against a gateway", () => {
  it("lists and calls every app's tools, and tells listChanged of a new app", async () => {
    await using echo = await startEcho();
    await using weather = await startMcpServer("sdk2");
    await using gateway = await serveOn(new Gateway({ health: false }));
    await using gw = await Gateway.connect(gateway.url);
    await gw.registerApp("echoer", echo.url);

    let changed!: (tools: Tool[]) => void;
    const nextList = new Promise<Tool[]>((resolve) => (changed = resolve));
    const mcp = await gw.mcp({
      listChanged: {
        tools: {
          debounceMs: 0,
          onChanged: (error, tools) => {
            if (!error && tools?.some((t) => t.name === "weather__get_forecast")) changed(tools);
          },
        },
      },
    });
    expect(mcp.getNegotiatedProtocolVersion()).toBe("2026-07-28");
    expect((await mcp.listTools()).tools.map((t: Tool) => t.name)).toEqual(["echoer__echo"]);

    await gw.registerApp("weather", weather.url);
    const tools = await nextList;
    expect(tools.map((t) => t.name)).toEqual([
      "echoer__echo",
      "weather__fail",
      "weather__get_forecast",
      "weather__shout",
    ]);
    const echoed = await mcp.callTool({ name: "echoer__echo", arguments: { message: "hey" } });
    expect(echoed.structuredContent).toEqual({ echoed: "hey" });
    const forecast = await mcp.callTool({
      name: "weather__get_forecast",
      arguments: { city: "Oslo" },
    });
    expect(forecast.structuredContent).toEqual(forecastOf("Oslo"));

    const legacy = await gw.mcp({ protocol: "legacy" });
    expect(legacy.getNegotiatedProtocolVersion()).toMatch(/^2025-/);
    expect((await legacy.listTools()).tools).toHaveLength(4);

    await gw.close();
    expect(mcp.transport).toBeUndefined();
    expect(legacy.transport).toBeUndefined();
  });

  it("sends the gateway client's token to a gateway with a callToken", async () => {
    await using gateway = await serveOn(new Gateway({ health: false, callToken: TOKEN }));
    await using gw = await Gateway.connect(gateway.url, { token: TOKEN });
    const mcp = await gw.mcp();
    expect((await mcp.listTools()).tools).toEqual([]);
    await using anonymous = new ConnectionManager({ url: gateway.url });
    expect(httpStatus(await rejection(anonymous.mcp()))).toBe(401);
  });
});

describe("client.mcp() against a plain MCP server", () => {
  it("speaks 2026-07-28 to an SDK 2.x server, with clientInfo and the token on every request", async () => {
    await using server = await startMcpServer("sdk2");
    await using client = new ConnectionManager({ url: server.url, token: TOKEN });
    const mcp = await client.mcp({ clientInfo: { name: "weather-console", version: "2.0.0" } });
    expect(mcp.getNegotiatedProtocolVersion()).toBe("2026-07-28");
    const result = await mcp.callTool({ name: "get-forecast", arguments: { city: "Bergen" } });
    expect(result.structuredContent).toEqual(forecastOf("Bergen"));
    expect(server.clientNames).toContain("weather-console");
    expect(server.authorizations.length).toBeGreaterThan(0);
    expect(new Set(server.authorizations)).toEqual(new Set([`Bearer ${TOKEN}`]));
  });

  it("falls back to the 2025 handshake with an SDK 1.x session server", async () => {
    await using server = await startMcpServer("sdk1");
    await using client = new ConnectionManager({ url: server.url });
    const mcp = await client.mcp({ clientInfo: { name: "weather-console", version: "2.0.0" } });
    expect(mcp.getNegotiatedProtocolVersion()).toMatch(/^2025-/);
    expect(sessionOf(mcp)).toEqual(expect.any(String));
    expect(server.sessions).toBe(1);
    // The 2026 probe and the 2025 handshake both named the client.
    expect(new Set(server.clientNames)).toEqual(new Set(["weather-console"]));
    const result = await mcp.callTool({ name: "get-forecast", arguments: { city: "Oslo" } });
    expect(result.structuredContent).toEqual(forecastOf("Oslo"));
    expect(server.authorizations.every((a) => a === undefined)).toBe(true);
  });
});
