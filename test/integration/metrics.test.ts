/**
 * `GET /metrics` and `app_stats` on real servers: counts by status class on a service (HTTP and
 * MCP), per app on a gateway (forwarded and MCP tool calls, upstream errors by code), instance
 * health flipping when an app stops, subscriber gauges, the caller token, and `metrics: false`.
 */
import { createServer } from "node:http";
import { connect } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { describe, expect, expectTypeOf, it } from "vitest";
import { Gateway } from "../../src/gateway/gateway.js";
import type { GatewayOptions } from "../../src/gateway/gateway.js";
import { startEcho, serveOn, waitFor } from "../helpers/fixtures.js";
import { connectMcp } from "../helpers/mcp-clients.js";
import { postJson, rawRequest } from "../helpers/raw-http.js";
import type { RawReply } from "../helpers/raw-http.js";
import { openSse } from "../helpers/sse-reader.js";

/** One sample line of the exposition: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A tiny parser of Prometheus text: every sample line (comments skipped). */
function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) throw new Error(`not an exposition line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, key, raw] of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[key!] = raw!.replace(/\\(.)/g, (_, c: string) => (c === "n" ? "\n" : c));
    }
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the sample named `name` whose labels include `labels` (undefined: none). */
function valueOf(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  const found = samples.find(
    (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
  );
  return found?.value;
}

async function scrape(url: string, token?: string): Promise<Sample[]> {
  const headers = token === undefined ? {} : { authorization: `Bearer ${token}` };
  const reply = await rawRequest(`${url}/metrics`, { headers });
  expect(reply.status).toBe(200);
  expect(reply.headers["content-type"]).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(reply.body.toString());
}

function post(url: string, body: unknown, token?: string): Promise<RawReply> {
  if (token === undefined) return postJson(url, body);
  return rawRequest(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
}

/** A plain app answering `/status/<code>` with that status (`/hang`: never); `await using`. */
async function statusApp(): Promise<
  { url: string; hung: number; close(): Promise<void> } & AsyncDisposable
> {
  const app = { hung: 0 };
  const server = createServer((req, res) => {
    if (req.url === "/hang") {
      app.hung++;
      return;
    }
    const code = Number(/^\/status\/(\d{3})$/.exec(req.url ?? "")?.[1] ?? 404);
    res.writeHead(code, { "content-type": "application/json" }).end("{}");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return Object.assign(app, { url, close, [Symbol.asyncDispose]: close });
}

/** Sends `head` on a new connection and resolves with the socket once `expect` came back. */
function sendAndWait(url: string, head: string, expect: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(Number(new URL(url).port), "127.0.0.1");
    let seen = "";
    socket.once("error", reject);
    socket.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(expect)) resolve(socket);
    });
    socket.write(head);
  });
}

async function gateway(options: GatewayOptions = {}) {
  return serveOn(new Gateway({ health: false, passiveHealth: false, ...options }));
}

/** A gateway (checks off) with echo registered as "echoer" and a status app as "plain". */
async function gatewayWithApps() {
  const gw = await gateway();
  const echo = await startEcho();
  const plain = await statusApp();
  const close = async (): Promise<void> => {
    await gw[Symbol.asyncDispose]();
    await echo[Symbol.asyncDispose]();
    await plain.close();
  };
  try {
    await gw.service.registerApp("echoer", echo.url);
    await gw.service.registerApp("plain", plain.url);
  } catch (error) {
    await close();
    throw error;
  }
  return { gw, plain, [Symbol.asyncDispose]: close };
}

describe("GET /metrics on a service", () => {
  it("counts replies per endpoint by status class, with latency histograms", async () => {
    await using echo = await startEcho();
    for (let i = 0; i < 3; i++) {
      expect((await postJson(`${echo.url}/echo`, { message: "hi" })).status).toBe(200);
    }
    expect((await postJson(`${echo.url}/echo`, { message: 42 })).status).toBe(422);
    const samples = await scrape(echo.url);
    const requests = "portico_endpoint_requests_total";
    const http = { endpoint: "echo", transport: "http" };
    expect(valueOf(samples, requests, { ...http, status_class: "2xx" })).toBe(3);
    expect(valueOf(samples, requests, { ...http, status_class: "4xx" })).toBe(1);
    expect(valueOf(samples, requests, { ...http, status_class: "5xx" })).toBeUndefined();
    const duration = "portico_endpoint_duration_seconds";
    expect(valueOf(samples, `${duration}_count`, http)).toBe(4);
    expect(valueOf(samples, `${duration}_bucket`, { ...http, le: "+Inf" })).toBe(4);
    expect(valueOf(samples, `${duration}_bucket`, { ...http, le: "10" })).toBe(4);
    expect(valueOf(samples, `${duration}_sum`, http)).toBeGreaterThan(0);
    // Process metrics come along, under their standard names.
    expect(valueOf(samples, "process_cpu_user_seconds_total")).toBeGreaterThan(0);
    expect(samples.some((s) => s.name.startsWith("nodejs_"))).toBe(true);
  });

  it("counts MCP tool calls under their endpoint with transport mcp", async () => {
    await using echo = await startEcho();
    await using client = await connectMcp("2026", echo.url);
    expect((await client.callTool("echo", { message: "hi" })).isError).toBeFalsy();
    expect((await client.callTool("echo", { message: 42 })).isError).toBe(true);
    const samples = await scrape(echo.url);
    const mcp = { endpoint: "echo", transport: "mcp" };
    const requests = "portico_endpoint_requests_total";
    expect(valueOf(samples, requests, { ...mcp, status_class: "2xx" })).toBe(1);
    expect(valueOf(samples, requests, { ...mcp, status_class: "4xx" })).toBe(1);
  });

  it("needs the caller token when one is configured, and is gone with metrics: false", async () => {
    await using secured = await startEcho({ callToken: "caller-token" });
    expect((await rawRequest(`${secured.url}/metrics`)).status).toBe(401);
    expect(await scrape(secured.url, "caller-token")).not.toHaveLength(0);
    await using off = await startEcho({ metrics: false });
    expect((await rawRequest(`${off.url}/metrics`)).status).toBe(404);
    expect((await postJson(`${off.url}/echo`, { message: "hi" })).status).toBe(200);
  });

  it.each(["metrics", "docs", "tracing", "console"])(
    "refuses a %s option that is not a boolean, naming it",
    (name) => {
      expect(() => new Gateway({ [name]: "yes" })).toThrow(
        expect.objectContaining({ code: "INVALID_OPTIONS", data: { [name]: "yes" } }),
      );
    },
  );
});

describe("GET /metrics on a gateway", () => {
  it("counts forwarded requests per app by status class, and the gateway's errors by code", async () => {
    await using apps = await gatewayWithApps();
    const { gw, plain } = apps;
    for (let i = 0; i < 2; i++) {
      expect((await postJson(`${gw.url}/echoer/echo`, { message: "hi" })).status).toBe(200);
    }
    expect((await postJson(`${gw.url}/echoer/echo`, {})).status).toBe(422);
    expect((await rawRequest(`${gw.url}/plain/status/503`)).status).toBe(503);
    await plain.close();
    const down = await rawRequest(`${gw.url}/plain/status/200`);
    expect(down.status).toBe(502);
    expect(down.json().error.code).toBe("UPSTREAM_UNREACHABLE");

    expect((await postJson(`${gw.url}/list_apps`, {})).status).toBe(200);
    const samples = await scrape(gw.url);
    const requests = "portico_app_requests_total";
    expect(valueOf(samples, requests, { app: "echoer", status_class: "2xx" })).toBe(2);
    expect(valueOf(samples, requests, { app: "echoer", status_class: "4xx" })).toBe(1);
    expect(valueOf(samples, requests, { app: "plain", status_class: "5xx" })).toBe(2);
    const errors = "portico_upstream_errors_total";
    expect(valueOf(samples, errors, { app: "plain", code: "UPSTREAM_UNREACHABLE" })).toBe(1);
    // The app's own 503 is its answer, not a reply the gateway made.
    expect(samples.filter((s) => s.name === errors)).toHaveLength(1);
    expect(valueOf(samples, "portico_app_duration_seconds_count", { app: "echoer" })).toBe(3);
    expect(valueOf(samples, "portico_apps")).toBe(2);
    expect(valueOf(samples, "portico_registry_revision")).toBe(2);
    // The gateway's own endpoints count as a service's do.
    const own = { endpoint: "list_apps", transport: "http", status_class: "2xx" };
    expect(valueOf(samples, "portico_endpoint_requests_total", own)).toBe(1);
  });

  it("answers 503 NO_HEALTHY_INSTANCE, counted by code, and flips the instance gauge to 0", async () => {
    const health = { intervalMs: 50, timeoutMs: 500, unhealthyAfter: 1, healthyAfter: 1 };
    await using gw = await gateway({ health });
    const echo = await startEcho();
    await gw.service.registerApp("echoer", echo.url);
    const instance = { app: "echoer", instance: echo.url };
    expect(valueOf(await scrape(gw.url), "portico_instance_healthy", instance)).toBe(1);
    await echo.close();
    const unhealthy = async (): Promise<boolean> =>
      valueOf(await scrape(gw.url), "portico_instance_healthy", instance) === 0;
    expect(await waitFor(unhealthy)).toBe(true);
    const refused = await postJson(`${gw.url}/echoer/echo`, { message: "hi" });
    expect(refused.status).toBe(503);
    const samples = await scrape(gw.url);
    const code = { app: "echoer", code: "NO_HEALTHY_INSTANCE" };
    expect(valueOf(samples, "portico_upstream_errors_total", code)).toBe(1);
    expect(
      valueOf(samples, "portico_app_requests_total", { app: "echoer", status_class: "5xx" }),
    ).toBe(1);
  });

  it("counts MCP tool calls through the gateway under their app, and MCP subscribers", async () => {
    await using gw = await gateway();
    await using echo = await startEcho();
    await gw.service.registerApp("echoer", echo.url);
    await using client = await connectMcp("2025", gw.url);
    const result = await client.callTool("echoer__echo", { message: "hi" });
    expect(result.isError).toBeFalsy();
    const subscribed = async (): Promise<boolean> =>
      valueOf(await scrape(gw.url), "portico_mcp_subscribers") === 1;
    expect(await waitFor(subscribed)).toBe(true);
    const samples = await scrape(gw.url);
    expect(
      valueOf(samples, "portico_app_requests_total", { app: "echoer", status_class: "2xx" }),
    ).toBe(1);
  });

  it("reports /events subscribers, and needs the caller token when one is configured", async () => {
    await using gw = await gateway({ callToken: "caller-token" });
    expect((await rawRequest(`${gw.url}/metrics`)).status).toBe(401);
    await using events = await openSse(`${gw.url}/events`, {
      authorization: "Bearer caller-token",
    });
    await events.until("ready");
    const samples = await scrape(gw.url, "caller-token");
    expect(valueOf(samples, "portico_events_subscribers")).toBe(1);
    expect(valueOf(samples, "portico_mcp_subscribers")).toBe(0);
    const stats = await post(`${gw.url}/app_stats`, {}, "caller-token");
    expect(stats.json().subscribers).toEqual({ events: 1, mcp: 0 });
  });

  it("has no /metrics with metrics: false, and app_stats then shows zeros", async () => {
    await using gw = await gateway({ metrics: false });
    await using echo = await startEcho();
    await gw.service.registerApp("echoer", echo.url);
    expect((await postJson(`${gw.url}/echoer/echo`, { message: "hi" })).status).toBe(200);
    expect((await rawRequest(`${gw.url}/metrics`)).status).toBe(404);
    const stats = (await postJson(`${gw.url}/app_stats`, {})).json();
    expect(stats.apps).toEqual([
      {
        name: "echoer",
        requests: 0,
        errors: 0,
        rate: 0,
        error_rate: 0,
        p50_ms: null,
        p99_ms: null,
      },
    ]);
  });
});

describe("a caller that leaves", () => {
  it("counts as 499 under its app, not as an error, while its body or the reply is pending", async () => {
    await using gw = await gateway();
    await using plain = await statusApp();
    await gw.service.registerApp("plain", plain.url);
    // `Expect: 100-continue`: the 100 tells the request reached the forwarder, body unsent.
    const partial = await sendAndWait(
      gw.url,
      "POST /plain/status/200 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
        "Content-Length: 100\r\nExpect: 100-continue\r\n\r\n",
      "100 Continue",
    );
    partial.end('{"half":');
    partial.destroy();
    const hanging = connect(Number(new URL(gw.url).port), "127.0.0.1");
    hanging.write("GET /plain/hang HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    expect(await waitFor(() => plain.hung === 1)).toBe(true);
    hanging.destroy();
    const gone = { app: "plain", status_class: "4xx" };
    const counted = async (): Promise<boolean> =>
      valueOf(await scrape(gw.url), "portico_app_requests_total", gone) === 2;
    expect(await waitFor(counted)).toBe(true);
    const stats = (await postJson(`${gw.url}/app_stats`, {})).json();
    expect(stats.apps[0]).toMatchObject({ name: "plain", requests: 2, errors: 0 });
  });
});

describe("app_stats", () => {
  it("reports requests, errors, rate, error rate and percentiles per app, and the registry", async () => {
    await using apps = await gatewayWithApps();
    const { gw, plain } = apps;
    await gw.service.registerApp("idle", plain.url);
    for (let i = 0; i < 9; i++) await postJson(`${gw.url}/echoer/echo`, { message: "hi" });
    await rawRequest(`${gw.url}/echoer/nowhere`); // the app's 404: an answer, not an error
    await rawRequest(`${gw.url}/plain/status/500`);
    await rawRequest(`${gw.url}/plain/status/200`);

    const client = await Gateway.connect(gw.url, { subscribe: false });
    const stats = await client.app_stats();
    await client.close();
    // Typed from the gateway's contract, with no code of the client's own.
    expectTypeOf(stats.apps[0]!.p99_ms).toEqualTypeOf<number | null>();
    expectTypeOf(stats.registry.backend).toEqualTypeOf<string>();
    expect(stats.window_s).toBe(60);
    expect(stats.registry).toEqual({ backend: "memory", revision: 3 });
    expect(stats.subscribers).toEqual({ events: 0, mcp: 0 });
    expect(stats.apps.map((a) => a.name)).toEqual(["echoer", "plain", "idle"]);
    const [echoer, plainApp, idle] = stats.apps;
    expect(echoer).toMatchObject({ requests: 10, errors: 0, error_rate: 0 });
    expect(echoer!.rate).toBeGreaterThan(0);
    expect(echoer!.p50_ms).toBeGreaterThan(0);
    expect(echoer!.p99_ms).toBeGreaterThanOrEqual(echoer!.p50_ms!);
    expect(plainApp).toMatchObject({ requests: 2, errors: 1, error_rate: 0.5 });
    expect(idle).toEqual({
      name: "idle",
      requests: 0,
      errors: 0,
      rate: 0,
      error_rate: 0,
      p50_ms: null,
      p99_ms: null,
    });
    // GET works too (no input), for a quick look with curl.
    expect((await rawRequest(`${gw.url}/app_stats`)).json().apps).toHaveLength(3);
  });

  it("drops an unregistered app's counters", async () => {
    await using gw = await gateway();
    await using echo = await startEcho();
    await gw.service.registerApp("echoer", echo.url);
    await postJson(`${gw.url}/echoer/echo`, { message: "hi" });
    await gw.service.unregisterApp("echoer");
    const samples = await scrape(gw.url);
    expect(samples.filter((s) => s.labels.app === "echoer")).toEqual([]);
    expect((await postJson(`${gw.url}/app_stats`, {})).json().apps).toEqual([]);
  });

  it("keeps no series of an app that left while a call of it was being authorized", async () => {
    const echoer: { leave?: () => Promise<unknown> } = {};
    await using gw = await gateway({
      // Runs after the route lookup, before forwarding: the app leaves right then.
      authorize: async ({ app }) => {
        if (app === "echoer") await echoer.leave?.();
      },
    });
    await using echo = await startEcho();
    await gw.service.registerApp("echoer", echo.url);
    echoer.leave = () => gw.service.unregisterApp("echoer");
    await postJson(`${gw.url}/echoer/echo`, { message: "hi" });
    for (let i = 0; i < 5; i++) await rawRequest(`${gw.url}/nobody-${i}/x`); // 404s: no series
    const samples = await scrape(gw.url);
    expect(samples.filter((s) => s.labels.app !== undefined)).toEqual([]);
  });
});
