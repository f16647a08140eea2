/**
 * The SSRF guard on everything the gateway sends to apps, on loopback only: with
 * `allowedUpstreams: ["127.0.0.1/32"]`, an app on 127.0.0.2 (Linux routes all of 127/8 to lo, so
 * it would answer) and names an injected resolver maps there are refused before any connection;
 * the address is checked again at connect time, so a name that moves is refused on the next
 * connection; redirects are relayed, never followed; PORTICO_ALLOWED_UPSTREAMS stands in for the
 * option.
 */
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { UpstreamNotAllowedError } from "../../src/errors.js";
import type { UpstreamResolver } from "../../src/gateway/upstream/guard.js";
import { expectRejects } from "../helpers/expect-error.js";
import { startGatewayStack } from "../helpers/gateway-stack.js";
import type { GatewayStack } from "../helpers/gateway-stack.js";
import { startLoopbackApp, startTwinApps } from "../helpers/loopback-app.js";
import type { LoopbackApp } from "../helpers/loopback-app.js";
import { mirror } from "../helpers/plain-app.js";
import type { MirrorReply, PlainHandler } from "../helpers/plain-app.js";
import { postJson, rawRequest } from "../helpers/raw-http.js";
import type { RawReply } from "../helpers/raw-http.js";

const ONLY_127_0_0_1 = ["127.0.0.1/32"];

/** A resolver over a fixed table (names in lower case); unknown names fail like ENOTFOUND. */
function tableResolver(table: Record<string, () => string[]>): UpstreamResolver {
  return (hostname) => {
    const entry = table[hostname.toLowerCase()];
    if (!entry) {
      return Promise.reject(Object.assign(new Error(`unknown ${hostname}`), { code: "ENOTFOUND" }));
    }
    return Promise.resolve(entry().map((address) => ({ address, family: 4 as const })));
  };
}

function codeOf(reply: RawReply): string | undefined {
  try {
    return (reply.json() as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

function expectError(reply: RawReply, status: number, code: string): void {
  expect({ status: reply.status, code: codeOf(reply) }).toEqual({ status, code });
}

/** Registers through the raw endpoint, so the reply's status and code are visible. */
function register(stack: GatewayStack, name: string, url: string): Promise<RawReply> {
  return postJson(`${stack.gateway.url}/register_app`, { name, url });
}

/** Nothing ever reached `app`: no connection, no request. */
function expectUntouched(app: LoopbackApp): void {
  expect({ connections: app.connections, requests: app.received.length }).toEqual({
    connections: 0,
    requests: 0,
  });
}

/** Mirrors, then closes the connection: every forwarded request needs a new one. */
const mirrorAndClose: PlainHandler = (req, res) => {
  res.setHeader("connection", "close");
  mirror(req, res);
};

describe("the upstream guard (allowedUpstreams: 127.0.0.1/32)", () => {
  it("refuses http://127.0.0.2:P with 403 UPSTREAM_NOT_ALLOWED; the app receives nothing", async () => {
    await using other = await startLoopbackApp({ host: "127.0.0.2" });
    await using stack = await startGatewayStack({ allowedUpstreams: ONLY_127_0_0_1 });
    expectError(await register(stack, "two", other.url), 403, "UPSTREAM_NOT_ALLOWED");
    expectError(await register(stack, "two", `${other.url}/base`), 403, "UPSTREAM_NOT_ALLOWED");
    await expectRejects(
      stack.gw.registerApp("two", other.url),
      UpstreamNotAllowedError,
      "UPSTREAM_NOT_ALLOWED",
    );
    expect(await stack.gw.listApps()).toEqual([]);
    expectError(await rawRequest(`${stack.gateway.url}/two/x`), 404, "APP_NOT_REGISTERED");
    expectUntouched(other);
  });

  it("refuses a name the resolver maps to 127.0.0.2, or to 127.0.0.1 and 127.0.0.2", async () => {
    await using other = await startLoopbackApp({ host: "127.0.0.2" });
    const resolver = tableResolver({
      "two.test": () => ["127.0.0.2"],
      "both.test": () => ["127.0.0.1", "127.0.0.2"],
    });
    await using stack = await startGatewayStack({ allowedUpstreams: ONLY_127_0_0_1, resolver });
    for (const name of ["two.test", "both.test", "TWO.test"]) {
      const reply = await register(stack, "named", `http://${name}:${other.port}`);
      expectError(reply, 403, "UPSTREAM_NOT_ALLOWED");
    }
    expect(await stack.gw.listApps()).toEqual([]);
    expectUntouched(other);
  });

  it("allows a name the resolver maps to 127.0.0.1, and forwards to it", async () => {
    await using app = await startLoopbackApp();
    const resolver = tableResolver({ "one.test": () => ["127.0.0.1"] });
    await using stack = await startGatewayStack({ allowedUpstreams: ONLY_127_0_0_1, resolver });
    const reply = await register(stack, "one", `http://one.test:${app.port}/base`);
    expect(reply.status).toBe(200);
    const forwarded = await rawRequest(`${stack.gateway.url}/one/x?y=1`);
    expect(forwarded.status).toBe(200);
    const seen = forwarded.json() as MirrorReply;
    expect(seen.url).toBe("/base/x?y=1");
    expect(seen.headers.host).toBe(`one.test:${app.port}`);
  });

  it("checks again at connect time: once the name resolves to 127.0.0.2, forwarded calls get 403", async () => {
    const [one, two] = await startTwinApps(mirrorAndClose, mirror);
    await using _one = one;
    await using _two = two;
    let current = "127.0.0.1";
    const resolver = tableResolver({ "flip.test": () => [current] });
    await using stack = await startGatewayStack({ allowedUpstreams: ONLY_127_0_0_1, resolver });
    expect((await register(stack, "flip", `http://flip.test:${one.port}`)).status).toBe(200);
    const at = (path: string) => `${stack.gateway.url}/flip${path}`;

    const before = await rawRequest(at("/before"));
    expect(before.status).toBe(200);
    expect(one.received.at(-1)?.url).toBe("/before");

    current = "127.0.0.2";
    for (const path of ["/after-1", "/after-2", "/after-3"]) {
      expectError(await rawRequest(at(path)), 403, "UPSTREAM_NOT_ALLOWED");
    }
    expectUntouched(two);

    current = "127.0.0.1";
    const back = await rawRequest(at("/back"));
    expect(back.status).toBe(200);
    expect(one.received.at(-1)?.url).toBe("/back");
    expectUntouched(two);
  });

  it("does not follow redirects: a 302 is relayed as is, and its target receives nothing", async () => {
    await using target = await startLoopbackApp();
    const location = `${target.url}/stolen`;
    await using redirecting = await startLoopbackApp({
      handler: (_req, res) => {
        res.writeHead(302, { location, "content-type": "text/plain" });
        res.end("moved");
      },
    });
    await using stack = await startGatewayStack({ allowedUpstreams: ONLY_127_0_0_1 });
    const info = await stack.gw.registerApp("redir", redirecting.url);
    expect(info.discovered).toBe(false);
    for (const method of ["GET", "POST"]) {
      const reply = await rawRequest(`${stack.gateway.url}/redir/x`, { method });
      expect(reply.status).toBe(302);
      expect(reply.headers.location).toBe(location);
      expect(reply.body.toString()).toBe("moved");
    }
    expectUntouched(target);
  });
});

describe("PORTICO_ALLOWED_UPSTREAMS", () => {
  const saved = process.env.PORTICO_ALLOWED_UPSTREAMS;
  beforeEach(() => {
    delete process.env.PORTICO_ALLOWED_UPSTREAMS;
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.PORTICO_ALLOWED_UPSTREAMS;
    else process.env.PORTICO_ALLOWED_UPSTREAMS = saved;
  });

  it("is read when allowedUpstreams is absent (comma-separated)", async () => {
    await using one = await startLoopbackApp();
    await using two = await startLoopbackApp({ host: "127.0.0.2" });
    process.env.PORTICO_ALLOWED_UPSTREAMS = "10.0.0.0/8, 127.0.0.1/32";
    await using stack = await startGatewayStack();
    expectError(await register(stack, "two", two.url), 403, "UPSTREAM_NOT_ALLOWED");
    expect((await register(stack, "one", one.url)).status).toBe(200);
    expect(await stack.gw.listApps()).toEqual(["one"]);
    expectUntouched(two);
  });

  it("gives way to allowedUpstreams", async () => {
    await using two = await startLoopbackApp({ host: "127.0.0.2" });
    process.env.PORTICO_ALLOWED_UPSTREAMS = "127.0.0.1/32";
    await using stack = await startGatewayStack({ allowedUpstreams: ["127.0.0.0/8"] });
    expect((await register(stack, "two", two.url)).status).toBe(200);
    expect((await rawRequest(`${stack.gateway.url}/two/x`)).status).toBe(200);
  });

  it("when unset, the default list allows all of loopback", async () => {
    await using two = await startLoopbackApp({ host: "127.0.0.2" });
    await using stack = await startGatewayStack();
    expect((await register(stack, "two", two.url)).status).toBe(200);
    expect((await rawRequest(`${stack.gateway.url}/two/x`)).status).toBe(200);
  });
});
