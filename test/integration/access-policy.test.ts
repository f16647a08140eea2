/**
 * The access policy over real sockets: clients that send their token, the refusal to listen on
 * a non-loopback address without one, and the policy on forwarded traffic (which never goes
 * through fastify, so only a socket shows it): Host, caller token, the authorize hook, and the
 * apps' own admin endpoints reached through the gateway. Route-level rules are in
 * test/unit/access-policy.test.ts.
 */
import { describe, expect, it } from "vitest";
import { ForbiddenError, InsecureBindError, UnauthorizedError } from "../../src/errors.js";
import { Gateway } from "../../src/gateway/gateway.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { Service } from "../../src/service/service.js";
import type { AccessRequest } from "../../src/security/options.js";
import { isolateEnv } from "../helpers/env.js";
import { expectRejects } from "../helpers/expect-error.js";
import { startEcho, startGateway } from "../helpers/fixtures.js";
import type { Running } from "../helpers/fixtures.js";
import { startPlainApp } from "../helpers/plain-app.js";
import type { PlainApp } from "../helpers/plain-app.js";
import { rawRequest } from "../helpers/raw-http.js";
import type { RawReply } from "../helpers/raw-http.js";
import { exchange, requestBytes } from "../helpers/socket-exchange.js";

const ADMIN = "adm-51d7e2a90c";
const CALLER = "call-c08b3e6f12";
const OTHER = "wrong-token";

isolateEnv();

interface Send {
  method?: string;
  token?: string;
  headers?: Record<string, string>;
}

/** Sends `METHOD path` verbatim to `base` with an empty body. */
function send(base: { url: string }, path: string, init: Send = {}): Promise<RawReply> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  return rawRequest(base.url, { method: init.method ?? "POST", path, headers, body: "" });
}

function code(reply: RawReply): [number, string | undefined] {
  const json = String(reply.headers["content-type"] ?? "").includes("json");
  const body = json ? (reply.json() as { error?: { code?: string } }) : undefined;
  return [reply.status, body?.error?.code];
}

function expectUnauthorized(reply: RawReply): void {
  expect(code(reply)).toEqual([401, "UNAUTHORIZED"]);
  expect(String(reply.headers["www-authenticate"])).toMatch(/^Bearer\b/);
}

/** A gateway with a mirror app registered as `mirror` (in-process: no policy in the way). */
async function gatewayWithMirror(
  options: ConstructorParameters<typeof Gateway>[0] = {},
): Promise<{ gw: Running<Gateway>; app: PlainApp } & AsyncDisposable> {
  const app = await startPlainApp();
  const gw = await startGateway(options);
  await gw.service.registerApp("mirror", `${app.url}/base`);
  app.received.length = 0; // forget the discovery request
  return {
    gw,
    app,
    [Symbol.asyncDispose]: async () => {
      await gw.close();
      await app.close();
    },
  };
}

function port(url: string): string {
  return new URL(url).port;
}

describe("clients send their token", () => {
  it("Gateway.connect(url, { token }) registers apps; without it the client gets UnauthorizedError", async () => {
    await using echo = await startEcho();
    await using gw = await startGateway({ adminToken: ADMIN });
    await using admin = await Gateway.connect(gw.url, { token: ADMIN });
    const app = await admin.registerApp("echoer", echo.url);
    expect(app).toMatchObject({ name: "echoer", discovered: true });
    expect(await admin.app("echoer").call("echo", { message: "hi" })).toEqual({ echoed: "hi" });

    await using anonymous = await Gateway.connect(gw.url);
    const refused = await expectRejects(
      anonymous.registerApp("other", echo.url),
      UnauthorizedError,
      "UNAUTHORIZED",
    );
    expect(refused.status).toBe(401);
    await expectRejects(anonymous.unregisterApp("echoer"), UnauthorizedError, "UNAUTHORIZED");
    await using wrong = await Gateway.connect(gw.url, { token: OTHER });
    await expectRejects(wrong.registerApp("other", echo.url), ForbiddenError, "FORBIDDEN");
    // Calls need no token here (no callToken), so the anonymous client still reaches the app.
    expect(await anonymous.listApps()).toEqual(["echoer"]);
    await admin.unregisterApp("echoer");
    expect(await anonymous.listApps()).toEqual([]);
  });

  it("a client sends PORTICO_TOKEN when given no token", async () => {
    await using echo = await startEcho();
    await using gw = await startGateway({ adminToken: ADMIN });
    process.env.PORTICO_TOKEN = ADMIN;
    await using fromEnv = await Gateway.connect(gw.url);
    expect((await fromEnv.registerApp("echoer", echo.url)).name).toBe("echoer");
  });

  it("Service.connect(url, { token }) calls a service that needs a caller token", async () => {
    await using echo = await startEcho({ callToken: CALLER });
    await using typed = await EchoService.connect(echo.url, { token: CALLER });
    expect(await typed.echo({ message: "t" })).toEqual({ echoed: "t" });
    await using discovered = await Service.connect(echo.url, { token: CALLER });
    expect(await discovered.call("echo", { message: "d" })).toEqual({ echoed: "d" });

    // status is public, so connecting works; the first call is refused.
    await using anonymous = await EchoService.connect(echo.url);
    await expectRejects(anonymous.echo({ message: "x" }), UnauthorizedError, "UNAUTHORIZED");
    // A discovered client reads detailed_endpoints while connecting: that is a call too.
    await expectRejects(Service.connect(echo.url), UnauthorizedError, "UNAUTHORIZED");
    await using wrong = await EchoService.connect(echo.url, { token: OTHER });
    await expectRejects(wrong.echo({ message: "x" }), ForbiddenError, "FORBIDDEN");
  });
});

describe("listening on a non-loopback address", () => {
  it("is refused with INSECURE_BIND without an admin token, before anything listens", async () => {
    for (const make of [() => new EchoService(), () => new Gateway()]) {
      for (const where of [
        { host: "0.0.0.0", port: 0 },
        { host: "::", port: 0 },
        { url: "http://0.0.0.0:0" },
      ]) {
        const service = make();
        await expectRejects(service.serve(where), InsecureBindError, "INSECURE_BIND");
        expect(service.url).toBeUndefined();
        expect(service.app.server.listening).toBe(false);
        await service.app.close();
      }
    }
  });

  it("listens with allowInsecure, with an admin token, or with PORTICO_ADMIN_TOKEN", async () => {
    const listening: boolean[] = [];
    for (const make of [
      () => new EchoService({ allowInsecure: true }),
      () => new Gateway({ adminToken: ADMIN }),
      () => {
        process.env.PORTICO_ADMIN_TOKEN = ADMIN;
        return new Gateway();
      },
    ]) {
      const served = await make().serve({ host: "0.0.0.0", port: 0 });
      listening.push(served.port > 0);
      await served.close();
    }
    expect(listening).toEqual([true, true, true]);
  });

  it("listens on any loopback address without a token", async () => {
    for (const host of ["127.0.0.1", "127.0.0.2"]) {
      await using served = await new EchoService().serve({ host, port: 0 });
      expect(new URL(served.url).hostname).toBe(host);
    }
  });

  it("keeps the policy on a wildcard bind: admin token, and the machine's own Host names only", async () => {
    // Listening on 0.0.0.0, reached on 127.0.0.1 only: no traffic leaves this machine.
    const served = await new Gateway({ adminToken: ADMIN }).serve({ host: "0.0.0.0", port: 0 });
    try {
      const base = { url: `http://127.0.0.1:${served.port}` };
      const host = `127.0.0.1:${served.port}`;
      expect((await send(base, "/status", { headers: { host } })).status).toBe(200);
      const evil = await send(base, "/status", { headers: { host: "evil.example" } });
      expect(code(evil)).toEqual([403, "FORBIDDEN_HOST"]);
      expectUnauthorized(await send(base, "/unregister_app", { headers: { host } }));
    } finally {
      await served.close();
    }
  });
});

describe("the Host header on forwarded traffic", () => {
  it("refuses a foreign Host with 403 FORBIDDEN_HOST before anything is forwarded", async () => {
    await using stack = await gatewayWithMirror();
    const evil = { headers: { host: "evil.example" } };
    for (const path of ["/mirror/x", "/mirror", "/mirror/x?y=1", "/unknown/x", "/status"]) {
      for (const method of ["GET", "POST", "DELETE"]) {
        expect(code(await send(stack.gw, path, { ...evil, method })), path).toEqual([
          403,
          "FORBIDDEN_HOST",
        ]);
      }
    }
    expect(stack.app.received).toEqual([]);
  });

  it("refuses a request with no Host or an empty one", async () => {
    await using stack = await gatewayWithMirror();
    const noHost10 = Buffer.from("GET /mirror/x HTTP/1.0\r\n\r\n");
    const empty = requestBytes("GET", "/mirror/x", "");
    for (const request of [noHost10, empty]) {
      const reply = await exchange(stack.gw.url, request);
      expect([reply.status, reply.code]).toEqual([403, "FORBIDDEN_HOST"]);
    }
    expect(stack.app.received).toEqual([]);
  });

  it("forwards with a loopback Host in any spelling, and with a name of allowedHosts", async () => {
    await using stack = await gatewayWithMirror({ allowedHosts: ["api.example"] });
    const p = port(stack.gw.url);
    const hosts = [
      `localhost:${p}`,
      `127.0.0.1:${p}`,
      `[::1]:${p}`,
      "api.example",
      `api.example:${p}`,
    ];
    for (const host of hosts) {
      const reply = await send(stack.gw, "/mirror/x", { headers: { host } });
      expect(reply.status, host).toBe(200);
    }
    expect(stack.app.received.map((r) => r.url)).toEqual(hosts.map(() => "/base/x"));
    const evil = await send(stack.gw, "/mirror/x", { headers: { host: "evil.example" } });
    expect(code(evil)).toEqual([403, "FORBIDDEN_HOST"]);
  });
});

describe("the caller token on forwarded traffic", () => {
  it("guards forwarded calls and lists, not status and heartbeat; the admin token works too", async () => {
    await using stack = await gatewayWithMirror({ callToken: CALLER, adminToken: ADMIN });
    const gw = stack.gw;
    for (const path of ["/mirror/x", "/mirror", "/unknown/x", "/list_apps", "/docs"]) {
      expectUnauthorized(await send(gw, path));
      expect(code(await send(gw, path, { token: OTHER }))).toEqual([403, "FORBIDDEN"]);
    }
    expect(stack.app.received).toEqual([]);
    expect((await send(gw, "/mirror/x", { token: CALLER })).status).toBe(200);
    expect((await send(gw, "/mirror/x", { token: ADMIN, method: "GET" })).status).toBe(200);
    expect(stack.app.received).toHaveLength(2);
    // With a valid token an unknown app is simply not registered.
    expect(code(await send(gw, "/unknown/x", { token: CALLER }))).toEqual([
      404,
      "APP_NOT_REGISTERED",
    ]);
    for (const path of ["/status", "/heartbeat"]) {
      expect((await send(gw, path)).status).toBe(200);
      expect((await send(gw, path, { method: "GET", token: OTHER })).status).toBe(200);
    }
  });

  it("guards /metrics and app_stats, and no /console or /docs path trick reaches an app or skips it", async () => {
    await using stack = await gatewayWithMirror({ callToken: CALLER, adminToken: ADMIN });
    const gw = stack.gw;
    const tricks = [
      "/console/../mirror/x",
      "/console/..%2Fmirror/x",
      "/console/%2E%2E/register_app",
      "/docs/../mirror/shutdown",
      "//console/x",
      "/CONSOLE/x",
      "/%63onsole/x",
    ];
    for (const path of ["/metrics", "/metrics/", "/app_stats", ...tricks]) {
      for (const method of ["GET", "POST"]) {
        expect([method, path, code(await send(gw, path, { method }))]).toEqual([
          method,
          path,
          [401, "UNAUTHORIZED"],
        ]);
      }
    }
    for (const path of tricks) {
      expect([path, (await send(gw, path, { token: CALLER })).status]).toEqual([path, 404]);
    }
    expect(stack.app.received).toEqual([]);
    expect((await send(gw, "/metrics", { method: "GET", token: CALLER })).status).toBe(200);
  });

  it("is read from PORTICO_CALL_TOKEN", async () => {
    process.env.PORTICO_CALL_TOKEN = CALLER;
    await using stack = await gatewayWithMirror();
    expectUnauthorized(await send(stack.gw, "/mirror/x"));
    expect((await send(stack.gw, "/mirror/x", { token: CALLER })).status).toBe(200);
    expect(stack.app.received).toHaveLength(1);
  });
});

describe("the authorize hook on forwarded traffic", () => {
  it("is told the action and the app; false refuses with 403, a thrown UnauthorizedError with 401", async () => {
    const seen: AccessRequest[] = [];
    await using stack = await gatewayWithMirror({
      adminToken: ADMIN,
      authorize: async (request) => {
        seen.push(request);
        await new Promise((resolve) => setTimeout(resolve, 2)); // an async hook
        const who = request.headers["x-who"];
        if (who === undefined) throw new UnauthorizedError("who are you?");
        return who === "friend";
      },
    });
    const gw = stack.gw;
    const friend = { "x-who": "friend" };
    expect((await send(gw, "/mirror/a?q=1", { headers: friend })).status).toBe(200);
    expect(code(await send(gw, "/mirror/b", { headers: { "x-who": "foe" } }))).toEqual([
      403,
      "FORBIDDEN",
    ]);
    expectUnauthorized(await send(gw, "/mirror/c", { method: "GET" }));
    const admin = await send(gw, "/mirror/shutdown", { headers: friend, token: ADMIN });
    expect(admin.status).toBe(200);
    expect((await send(gw, "/list_apps", { headers: friend })).status).toBe(200);

    expect(seen.map((r) => [r.action, r.app, r.method, r.url])).toEqual([
      ["call", "mirror", "POST", "/mirror/a?q=1"],
      ["call", "mirror", "POST", "/mirror/b"],
      ["call", "mirror", "GET", "/mirror/c"],
      ["admin", "mirror", "POST", "/mirror/shutdown"],
      ["call", undefined, "POST", "/list_apps"],
    ]);
    expect(seen[0]?.remoteAddress).toMatch(/127\.0\.0\.1$/);
    expect(stack.app.received.map((r) => r.url)).toEqual(["/base/a?q=1", "/base/shutdown"]);
  });
});

/** Paths that reach an app's own admin endpoints, however they are spelt. */
const ADMIN_PATHS = [
  "/echoer/shutdown",
  "/echoer/SHUTDOWN",
  "/echoer/Shutdown",
  "/echoer//shutdown",
  "/echoer///shutdown",
  "/echoer/shutdown/",
  "/echoer/shutdown?now=1",
  "/echoer/%73hutdown",
  "/echoer/%53HUTDOWN",
  "/echoer/register_app",
  "/echoer/unregister_app",
  "/echoer/REGISTER_APP",
];

/** A served echo app registered with `gw` as `echoer`. */
async function echoApp(gw: Running<Gateway>): Promise<Running<EchoService>> {
  const echo = await startEcho();
  await gw.service.registerApp("echoer", echo.url);
  return echo;
}

async function expectEchoUp(gw: Running<Gateway>, echo: Running<EchoService>): Promise<void> {
  expect((await send(echo, "/status")).json()).toEqual({ status: "Available" });
  const reply = await rawRequest(`${gw.url}/echoer/echo`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${ADMIN}` },
    body: JSON.stringify({ message: "still here" }),
  });
  expect(reply.json()).toEqual({ echoed: "still here" });
}

describe("an app's admin endpoints through the gateway", () => {
  it("need the gateway's admin token: 401 without, 403 wrong, and the app stays up", async () => {
    await using gw = await startGateway({ adminToken: ADMIN });
    await using echo = await echoApp(gw);
    for (const path of ADMIN_PATHS) {
      for (const method of ["POST", "GET"]) {
        expectUnauthorized(await send(gw, path, { method }));
        expect(code(await send(gw, path, { method, token: OTHER })), path).toEqual([
          403,
          "FORBIDDEN",
        ]);
      }
    }
    await expectEchoUp(gw, echo);
  });

  it("are forwarded with the admin token", async () => {
    await using stack = await gatewayWithMirror({ adminToken: ADMIN });
    const reply = await send(stack.gw, "/mirror/shutdown", { token: ADMIN });
    expect(reply.status).toBe(200);
    expect(stack.app.received.map((r) => r.url)).toEqual(["/base/shutdown"]);
  });

  it("are refused with 403 FORBIDDEN even from loopback when no admin token is configured", async () => {
    await using gw = await startGateway();
    await using echo = await echoApp(gw);
    for (const path of ADMIN_PATHS) {
      expect(code(await send(gw, path)), path).toEqual([403, "FORBIDDEN"]);
    }
    await expectEchoUp(gw, echo);
  });

  it("are not reachable through a second gateway registered as an app", async () => {
    // outer (admin token) -> inner (a gateway without one, on loopback) -> leaf. The inner
    // gateway sees the outer one as a loopback peer; the outer one must not let an anonymous
    // caller through to /leaf/shutdown.
    await using leaf = await startPlainApp();
    await using inner = await startGateway();
    await inner.service.registerApp("leaf", leaf.url);
    leaf.received.length = 0; // forget the discovery request
    await using outer = await startGateway({ adminToken: ADMIN });
    await outer.service.registerApp("inner", inner.url);
    for (const path of ["/inner/leaf/shutdown", "/inner/leaf/register_app"]) {
      const [status] = code(await send(outer, path));
      expect([401, 403], path).toContain(status);
    }
    expect(leaf.received).toEqual([]);
  });
});
