/**
 * The access policy on a server's own routes, through fastify's `inject()` (no socket: its peer is
 * 127.0.0.1 unless `remoteAddress` says otherwise, and its Host `localhost:80`). Forwarded traffic
 * never goes through fastify, so test/integration/access-policy.test.ts checks it over sockets.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { UnauthorizedError } from "../../src/errors.js";
import { Gateway } from "../../src/gateway/gateway.js";
import type { GatewayOptions } from "../../src/gateway/gateway.js";
import { EchoService } from "../../src/samples/echo-service.js";
import type { AccessRequest, AuthorizeHook } from "../../src/security/options.js";
import type { Service, ServiceOptions } from "../../src/service/service.js";
import { isolateEnv } from "../helpers/env.js";
import { deadUrl } from "../helpers/observe.js";

const ADMIN = "adm-9c41e07d5b";
const CALLER = "call-3f8a62c1d0";
const OTHER = "not-the-token";

isolateEnv();

/** Services built by a test, their fastify apps closed after it. */
const built: Service[] = [];
afterEach(async () => {
  await Promise.all(built.splice(0).map((s) => s.app.close()));
});

function gateway(options: GatewayOptions = {}): Gateway {
  const service = new Gateway(options);
  built.push(service);
  return service;
}

function echo(options: ServiceOptions = {}): EchoService {
  const service = new EchoService(options);
  built.push(service);
  return service;
}

interface Sent {
  method?: "GET" | "POST" | "PUT" | "DELETE" | "PATCH" | "HEAD" | "OPTIONS";
  headers?: Record<string, string>;
  body?: unknown;
  /** The peer address the server sees (127.0.0.1 by default). */
  peer?: string;
  /** Shorthand for `Authorization: Bearer <token>`. */
  token?: string;
}

interface Reply {
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  /** The error code of an error reply, else undefined. */
  code: string | undefined;
  body: any;
}

async function send(service: Service, path: string, sent: Sent = {}): Promise<Reply> {
  const headers = { ...sent.headers };
  if (sent.token !== undefined) headers.authorization = `Bearer ${sent.token}`;
  const res = await service.app.inject({
    method: sent.method ?? "POST",
    url: path,
    headers,
    payload: sent.body as object | undefined,
    ...(sent.peer === undefined ? {} : { remoteAddress: sent.peer }),
  });
  const json = String(res.headers["content-type"] ?? "").includes("json") && res.body !== "";
  const body = json ? JSON.parse(res.body) : undefined;
  return {
    status: res.statusCode,
    headers: res.headers,
    code: (body as { error?: { code?: string } } | undefined)?.error?.code,
    body,
  };
}

/** The three admin endpoints of a gateway, each with a body that gets past validation. */
const ADMIN_CALLS: [string, unknown][] = [
  ["/register_app", { name: "policy-app", url: "http://127.0.0.1:9" }],
  ["/unregister_app", { name: "never-registered" }],
  ["/shutdown", undefined],
];

function expectUnauthorized(reply: Reply): void {
  expect([reply.status, reply.code]).toEqual([401, "UNAUTHORIZED"]);
  expect(String(reply.headers["www-authenticate"])).toMatch(/^Bearer\b/);
}

function expectCode(reply: Reply, status: number, code: string): void {
  expect([reply.status, reply.code]).toEqual([status, code]);
}

describe("the admin token", () => {
  it("guards register_app, unregister_app and shutdown on a gateway: 401 without it, 403 when wrong", async () => {
    const gw = gateway({ adminToken: ADMIN });
    for (const [path, body] of ADMIN_CALLS) {
      expectUnauthorized(await send(gw, path, { body }));
      expectCode(await send(gw, path, { body, token: OTHER }), 403, "FORBIDDEN");
      // Close to the token is not the token: a prefix, a longer value, another scheme.
      expectCode(await send(gw, path, { body, token: ADMIN.slice(0, -1) }), 403, "FORBIDDEN");
      expectCode(await send(gw, path, { body, token: `${ADMIN}x` }), 403, "FORBIDDEN");
      const basic = { authorization: `Basic ${Buffer.from(`u:${ADMIN}`).toString("base64")}` };
      expectCode(await send(gw, path, { body, headers: basic }), 403, "FORBIDDEN");
    }
    expect((await send(gw, "/status")).body).toEqual({ status: "Available" });
  });

  it("lets the right token through on a gateway, whatever the case of the scheme", async () => {
    const gw = gateway({ adminToken: ADMIN });
    const url = await deadUrl(); // discovery fails: the app registers undiscovered
    const registered = await send(gw, "/register_app", {
      body: { name: "app1", url },
      token: ADMIN,
    });
    expect(registered.status).toBe(200);
    expect(registered.body).toMatchObject({ name: "app1", url, discovered: false });
    const removed = await send(gw, "/unregister_app", {
      body: { name: "app1" },
      headers: { authorization: `bearer ${ADMIN}` },
    });
    expect(removed.body).toMatchObject({ name: "app1", removed: true });
    // Past the policy, the endpoint's own errors show.
    const unknown = await send(gw, "/unregister_app", { body: { name: "app1" }, token: ADMIN });
    expectCode(unknown, 404, "APP_NOT_REGISTERED");
    const stop = await send(gw, "/shutdown", { headers: { authorization: `BEARER ${ADMIN}` } });
    expect([stop.status, stop.body]).toEqual([200, { shutdown: true }]);
  });

  it("guards a plain service's shutdown, and leaves its other endpoints open", async () => {
    const svc = echo({ adminToken: ADMIN });
    expectUnauthorized(await send(svc, "/shutdown"));
    expectCode(await send(svc, "/shutdown", { token: OTHER }), 403, "FORBIDDEN");
    expect((await send(svc, "/echo", { body: { message: "m" } })).body).toEqual({ echoed: "m" });
    expect((await send(svc, "/endpoints", { method: "GET" })).status).toBe(200);
    const stop = await send(svc, "/shutdown", { token: ADMIN });
    expect([stop.status, stop.body]).toEqual([200, { shutdown: true }]);
  });

  it("is read from PORTICO_ADMIN_TOKEN when the option is absent; the option wins over it", async () => {
    process.env.PORTICO_ADMIN_TOKEN = ADMIN;
    const fromEnv = echo();
    expectUnauthorized(await send(fromEnv, "/shutdown"));
    expectCode(await send(fromEnv, "/shutdown", { token: OTHER }), 403, "FORBIDDEN");
    expect((await send(fromEnv, "/shutdown", { token: ADMIN })).status).toBe(200);

    const fromOption = echo({ adminToken: OTHER });
    expectCode(await send(fromOption, "/shutdown", { token: ADMIN }), 403, "FORBIDDEN");
    expect((await send(fromOption, "/shutdown", { token: OTHER })).status).toBe(200);
    const gw = gateway();
    expectUnauthorized(await send(gw, "/unregister_app", { body: { name: "x" } }));
  });

  it("is not needed by a non-loopback peer that has it", async () => {
    const gw = gateway({ adminToken: ADMIN });
    const reply = await send(gw, "/unregister_app", {
      body: { name: "x" },
      token: ADMIN,
      peer: "192.0.2.10",
    });
    expectCode(reply, 404, "APP_NOT_REGISTERED");
    expectUnauthorized(await send(gw, "/unregister_app", { body: { name: "x" }, peer: "::1" }));
  });
});

describe("without an admin token", () => {
  it("admin endpoints answer loopback peers, in any spelling", async () => {
    const gw = gateway();
    for (const peer of ["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"]) {
      expectCode(
        await send(gw, "/unregister_app", { body: { name: "x" }, peer }),
        404,
        "APP_NOT_REGISTERED",
      );
    }
    expect((await send(gw, "/shutdown")).status).toBe(200);
  });

  it("admin endpoints refuse every other peer with 403, and a token does not help", async () => {
    const gw = gateway();
    for (const peer of ["192.0.2.10", "10.0.0.7", "2001:db8::1", "::ffff:192.0.2.10"]) {
      for (const [path, body] of ADMIN_CALLS) {
        expectCode(await send(gw, path, { body, peer }), 403, "FORBIDDEN");
        expectCode(await send(gw, path, { body, peer, token: "anything" }), 403, "FORBIDDEN");
      }
      // Calls stay open to them: no caller token is configured.
      expect((await send(gw, "/list_apps", { peer })).body).toEqual({ apps: [] });
    }
    expect((await send(gw, "/status")).body).toEqual({ status: "Available" });
  });
});

describe("admin endpoints take POST only and refuse cross-site requests", () => {
  it("answers other methods with 405 METHOD_NOT_ALLOWED and an Allow header", async () => {
    for (const gw of [gateway(), gateway({ adminToken: ADMIN })]) {
      for (const path of ["/shutdown", "/register_app", "/unregister_app"]) {
        for (const method of ["GET", "PUT", "DELETE"] as const) {
          const reply = await send(gw, path, { method, token: ADMIN });
          expectCode(reply, 405, "METHOD_NOT_ALLOWED");
          expect(String(reply.headers.allow)).toContain("POST");
          expect(String(reply.headers.allow)).not.toContain("GET");
        }
      }
      expect((await send(gw, "/status")).body).toEqual({ status: "Available" });
    }
  });

  it("refuses Sec-Fetch-Site: cross-site with 403 FORBIDDEN_ORIGIN, even with the token", async () => {
    for (const gw of [gateway(), gateway({ adminToken: ADMIN })]) {
      const crossSite = { "sec-fetch-site": "cross-site" };
      for (const [path, body] of ADMIN_CALLS) {
        const reply = await send(gw, path, { body, headers: crossSite, token: ADMIN });
        expectCode(reply, 403, "FORBIDDEN_ORIGIN");
      }
      for (const site of ["same-origin", "same-site", "none"]) {
        const reply = await send(gw, "/unregister_app", {
          body: { name: "x" },
          headers: { "sec-fetch-site": site },
          token: ADMIN,
        });
        expectCode(reply, 404, "APP_NOT_REGISTERED");
      }
      // Only admin endpoints care: a cross-site read of the app list is the caller token's business.
      expect((await send(gw, "/list_apps", { headers: crossSite })).status).toBe(200);
      expect((await send(gw, "/status", { headers: crossSite })).status).toBe(200);
    }
  });

  it("refuses an Origin that is neither listed nor same-origin with 403 FORBIDDEN_ORIGIN", async () => {
    const gw = gateway({ adminToken: ADMIN, allowedOrigins: ["https://ops.example"] });
    const host = "127.0.0.1:4100";
    const unregister = (origin: string): Promise<Reply> =>
      send(gw, "/unregister_app", {
        body: { name: "x" },
        headers: { origin, host },
        token: ADMIN,
      });
    for (const origin of [
      "https://evil.example",
      "null",
      "http://127.0.0.1:4101", // same host, another port
      "https://ops.example.evil.example",
      "not a url",
    ]) {
      expect([origin, (await unregister(origin)).code]).toEqual([origin, "FORBIDDEN_ORIGIN"]);
    }
    for (const origin of ["https://ops.example", "HTTPS://OPS.EXAMPLE/"]) {
      expectCode(await unregister(origin), 404, "APP_NOT_REGISTERED");
    }
    // Same-origin on a gateway: every app it forwards to shares its origin, so only a request
    // carrying the admin token passes (the console's, typed in by its user); without a token
    // configured (loopback peers administer), a page of any app could otherwise administer it.
    expectCode(await unregister("http://127.0.0.1:4100"), 404, "APP_NOT_REGISTERED");
    // Same-origin means scheme://host:port exactly: not another scheme, user info or a path.
    for (const origin of [
      "ftp://127.0.0.1:4100",
      "http://user@127.0.0.1:4100",
      "http://127.0.0.1:4100/console",
      "http://127.0.0.1",
    ]) {
      expect([origin, (await unregister(origin)).code]).toEqual([origin, "FORBIDDEN_ORIGIN"]);
    }
    const open = await send(gateway(), "/unregister_app", {
      body: { name: "x" },
      headers: { origin: "http://127.0.0.1:4100", host },
    });
    expectCode(open, 403, "FORBIDDEN_ORIGIN");
    const svc = new EchoService({ adminToken: ADMIN });
    const sameOrigin = await send(svc, "/shutdown", {
      headers: { origin: "http://127.0.0.1:4100", host },
      token: ADMIN,
    });
    expect(sameOrigin.status).toBe(200);
    // The Origin check does not replace the token.
    const noToken = await send(gw, "/unregister_app", {
      body: { name: "x" },
      headers: { origin: "https://ops.example", host },
    });
    expectUnauthorized(noToken);
    // Nor does it apply to calls.
    const call = await send(gw, "/list_apps", { headers: { origin: "https://evil.example" } });
    expect(call.status).toBe(200);
  });
});

describe("the Host header", () => {
  it("must be a loopback name or address on every route, public ones included", async () => {
    const gw = gateway({ adminToken: ADMIN });
    for (const host of [
      "evil.example",
      "evil.example:80",
      "localhost.evil.example",
      "127.0.0.1.evil.example",
      "[::2]:80",
      "192.0.2.10",
    ]) {
      for (const [path, body] of [
        ["/status", undefined],
        ["/list_apps", undefined],
        ...ADMIN_CALLS,
      ]) {
        const reply = await send(gw, path as string, { body, headers: { host }, token: ADMIN });
        expect([host, path, reply.code]).toEqual([host, path, "FORBIDDEN_HOST"]);
      }
    }
  });

  it("accepts localhost, 127.0.0.1, [::1] and *.localhost, with or without a port", async () => {
    const gw = gateway();
    for (const host of [
      "localhost:4100",
      "LOCALHOST:4100",
      "localhost",
      "127.0.0.1:4100",
      "127.0.0.1",
      "127.9.9.9:80",
      "[::1]:4100",
      "[::1]",
      "app.localhost:4100",
    ]) {
      expect((await send(gw, "/status", { headers: { host } })).status, host).toBe(200);
    }
  });

  it("accepts the names of allowedHosts too, and only those", async () => {
    const gw = gateway({ allowedHosts: ["api.example"] });
    for (const host of ["api.example", "api.example:8443", "API.Example:80", "localhost:1"]) {
      expect((await send(gw, "/list_apps", { headers: { host } })).status, host).toBe(200);
    }
    for (const host of ["evil.example", "sub.api.example", "api.example.evil.example"]) {
      expectCode(await send(gw, "/list_apps", { headers: { host } }), 403, "FORBIDDEN_HOST");
    }
  });
});

describe("the caller token", () => {
  const CALLS: [string, Sent["method"]][] = [
    ["/echo", "POST"],
    ["/endpoints", "GET"],
    ["/detailed_endpoints", "POST"],
    ["/server_id", "GET"],
    ["/class_name", "POST"],
    ["/pid_file", "GET"],
    // The API reference's page and assets are public (no data); its document is not.
    ["/docs/json", "GET"],
    ["/openapi.json", "GET"],
  ];

  it("guards every endpoint, list and OpenAPI document of a service, but not status and heartbeat", async () => {
    const svc = echo({ callToken: CALLER, adminToken: ADMIN });
    const body = { message: "m" };
    for (const [path, method] of CALLS) {
      const sent = { method, ...(method === "POST" ? { body } : {}) };
      expectUnauthorized(await send(svc, path, sent));
      expectCode(await send(svc, path, { ...sent, token: OTHER }), 403, "FORBIDDEN");
      expect((await send(svc, path, { ...sent, token: CALLER })).status, path).toBe(200);
      // The admin token is good for calls too.
      expect((await send(svc, path, { ...sent, token: ADMIN })).status, path).toBe(200);
    }
    for (const path of ["/status", "/heartbeat"]) {
      expect((await send(svc, path, { method: "GET" })).status).toBe(200);
      expect((await send(svc, path, { token: OTHER })).status).toBe(200);
    }
  });

  it("guards a gateway's lists, and is no admin token", async () => {
    const gw = gateway({ callToken: CALLER, adminToken: ADMIN });
    for (const path of ["/list_apps", "/list_apps_with_schemas"]) {
      expectUnauthorized(await send(gw, path));
      expectCode(await send(gw, path, { token: OTHER }), 403, "FORBIDDEN");
      expect((await send(gw, path, { token: CALLER })).body).toMatchObject({ apps: [] });
    }
    const register = await send(gw, "/unregister_app", { body: { name: "x" }, token: CALLER });
    expectCode(register, 403, "FORBIDDEN");
  });

  it("is read from PORTICO_CALL_TOKEN when the option is absent", async () => {
    process.env.PORTICO_CALL_TOKEN = CALLER;
    const svc = echo();
    expectUnauthorized(await send(svc, "/echo", { body: { message: "m" } }));
    expect((await send(svc, "/echo", { body: { message: "m" }, token: CALLER })).status).toBe(200);
    expect((await send(svc, "/status")).status).toBe(200);
  });
});

describe("the authorize hook", () => {
  it("is told the action, method, URL, headers and peer of each request", async () => {
    const seen: AccessRequest[] = [];
    const gw = gateway({ authorize: (request) => void seen.push(request) });
    await send(gw, "/status", { method: "GET" });
    await send(gw, "/list_apps?x=1", { headers: { "x-trace": "t1" } });
    await send(gw, "/unregister_app", { body: { name: "x" } });
    await send(gw, "/status", { peer: "::1" });
    expect(seen.map((r) => [r.action, r.method, r.url, r.remoteAddress, r.app])).toEqual([
      ["public", "GET", "/status", "127.0.0.1", undefined],
      ["call", "POST", "/list_apps?x=1", "127.0.0.1", undefined],
      ["admin", "POST", "/unregister_app", "127.0.0.1", undefined],
      ["public", "POST", "/status", "::1", undefined],
    ]);
    expect(seen[1]?.headers["x-trace"]).toBe("t1");
  });

  it("refuses with 403 FORBIDDEN when it returns false, and with the code it throws", async () => {
    const refuse: AuthorizeHook = ({ headers }) => {
      if (headers["x-who"] === undefined) throw new UnauthorizedError("say who you are");
      return headers["x-who"] === "friend";
    };
    const gw = gateway({ authorize: refuse });
    expectUnauthorized(await send(gw, "/list_apps"));
    expectCode(
      await send(gw, "/list_apps", { headers: { "x-who": "stranger" } }),
      403,
      "FORBIDDEN",
    );
    expect((await send(gw, "/list_apps", { headers: { "x-who": "friend" } })).status).toBe(200);
  });

  it("may be async, and a hook that fails with a plain error refuses with 403", async () => {
    const gw = gateway({
      authorize: async ({ url }) => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (url.startsWith("/docs")) throw new Error("hook bug");
        return !url.startsWith("/list_apps_with_schemas");
      },
    });
    expect((await send(gw, "/list_apps")).status).toBe(200);
    expectCode(await send(gw, "/list_apps_with_schemas"), 403, "FORBIDDEN");
    expectCode(await send(gw, "/docs", { method: "GET" }), 403, "FORBIDDEN");
  });

  it("runs after the built-in checks: a request they refuse never reaches it", async () => {
    let calls = 0;
    const gw = gateway({ callToken: CALLER, authorize: () => void calls++ });
    expectUnauthorized(await send(gw, "/list_apps"));
    expectCode(
      await send(gw, "/list_apps", { headers: { host: "evil.example" } }),
      403,
      "FORBIDDEN_HOST",
    );
    expectCode(await send(gw, "/shutdown", { method: "GET", peer: "192.0.2.1" }), 403, "FORBIDDEN");
    expect(calls).toBe(0);
    expect((await send(gw, "/list_apps", { token: CALLER })).status).toBe(200);
    expect(calls).toBe(1);
  });

  it("plugs in a JWT check (README example)", async () => {
    // The README shows this hook with `jose` (`await jwtVerify(token, secret)`). jose is not a
    // dependency of this repo, so a hand-made HS256 check with node:crypto stands in for it here.
    const secret = "jwt-secret-for-tests";
    const authorize: AuthorizeHook = ({ action, headers }) => {
      if (action === "public") return true;
      const header = headers.authorization;
      const claims = header?.startsWith("Bearer ") ? verifyHs256(header.slice(7), secret) : null;
      if (!claims) throw new UnauthorizedError("A valid JWT is required");
      return action !== "admin" || claims.scope.split(" ").includes("admin");
    };
    const gw = gateway({ authorize });
    const caller = signHs256({ sub: "ana", scope: "call", exp: future() }, secret);
    const admin = signHs256({ sub: "ops", scope: "call admin", exp: future() }, secret);
    const expired = signHs256({ sub: "ana", scope: "call admin", exp: 1 }, secret);
    const forged = signHs256({ sub: "eve", scope: "call admin", exp: future() }, "guessed");

    expect((await send(gw, "/status")).status).toBe(200);
    expectUnauthorized(await send(gw, "/list_apps"));
    expect((await send(gw, "/list_apps", { token: caller })).status).toBe(200);
    for (const bad of [expired, forged, `${caller}x`, "a.b"]) {
      expectUnauthorized(await send(gw, "/list_apps", { token: bad }));
    }
    const body = { name: "x" };
    expectCode(await send(gw, "/unregister_app", { body, token: caller }), 403, "FORBIDDEN");
    expectCode(
      await send(gw, "/unregister_app", { body, token: admin }),
      404,
      "APP_NOT_REGISTERED",
    );
  });
});

interface Claims {
  sub: string;
  scope: string;
  exp: number;
}

function future(): number {
  return Math.floor(Date.now() / 1000) + 3600;
}

function signHs256(claims: Claims, secret: string): string {
  const encode = (value: unknown): string =>
    Buffer.from(JSON.stringify(value)).toString("base64url");
  const unsigned = `${encode({ alg: "HS256", typ: "JWT" })}.${encode(claims)}`;
  return `${unsigned}.${createHmac("sha256", secret).update(unsigned).digest("base64url")}`;
}

/** The claims of a valid, unexpired HS256 token, else null. */
function verifyHs256(token: string, secret: string): Claims | null {
  const [header, payload, signature] = token.split(".");
  if (header === undefined || payload === undefined || signature === undefined) return null;
  const expected = createHmac("sha256", secret).update(`${header}.${payload}`).digest();
  const given = Buffer.from(signature, "base64url");
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as Claims;
    return claims.exp > Date.now() / 1000 ? claims : null;
  } catch {
    return null;
  }
}
