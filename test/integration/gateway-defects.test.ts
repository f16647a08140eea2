/**
 * One regression test per defect of issue 6's "Why" list, each named after it and each failing on
 * the gateway as it landed before the fix: real servers on 127.0.0.1, raw requests where a client
 * would refuse to send the bytes, assertions on status and `.code` only. (Client-supplied
 * X-Forwarded-* headers are covered by gateway-headers.test.ts; `--host 0.0.0.0.0` and the CLI
 * help example by the CLI tests.)
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidAppUrlError, LoopDetectedError, PayloadTooLargeError } from "../../src/errors.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { expectRejects } from "../helpers/expect-error.js";
import { serveOn, startEcho, startGateway, waitFor } from "../helpers/fixtures.js";
import type { Running } from "../helpers/fixtures.js";
import { recordRequests, startGatewayStack } from "../helpers/gateway-stack.js";
import type { EchoTasks, GatewayStack } from "../helpers/gateway-stack.js";
import { mirror, sendJson, startPlainApp } from "../helpers/plain-app.js";
import type { MirrorReply, PlainApp, PlainHandler } from "../helpers/plain-app.js";
import { postJson, rawRequest } from "../helpers/raw-http.js";
import { requestHead, sendRaw } from "../helpers/raw-socket.js";

/** Anything with a status and a JSON body. */
interface Reply {
  status: number;
  json(): any;
}

/** The `error.code` of a reply, or undefined when its body is not our JSON error. */
function codeOf(reply: Reply): string | undefined {
  try {
    return (reply.json() as { error?: { code?: string } } | undefined)?.error?.code;
  } catch {
    return undefined;
  }
}

/** Checks status and code together, so a failure shows both. */
function expectError(reply: Reply, status: number, code: string): void {
  expect({ status: reply.status, code: codeOf(reply) }).toEqual({ status, code });
}

/** The server at `url` still answers `status` with Available. */
async function expectUp(url: string): Promise<void> {
  const reply = await rawRequest(`${url}/status`);
  expect({ status: reply.status, body: reply.json() }).toEqual({
    status: 200,
    body: { status: "Available" },
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  return rawRequest(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

describe("escape from an app's base path", () => {
  let stack: GatewayStack;
  let app: PlainApp;

  beforeAll(async () => {
    stack = await startGatewayStack();
    app = await startPlainApp(mirror);
    await stack.gw.registerApp("web", `${app.url}/base`);
  });
  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
    await app?.close();
  });

  it.each([
    "/web/..%2Fsecret.txt",
    "/web/..%2fsecret.txt",
    "/web/%2e%2e%2fsecret.txt",
    "/web/%2E%2E%2Fsecret.txt",
    "/web/.%2e%2Fsecret.txt",
    "/web/.%2E/secret.txt",
    "/web/%2e%2e",
    "/web/%2e%2e?x=1",
    "/web/a/%2e/b",
    "/web/..%5Csecret.txt",
    "/web/..%5csecret.txt",
    "/web/..\\secret.txt",
    "/web/a%2fb",
    "/web/a%2Fb",
    "/web/%zz",
    "/web/a%2",
  ])("refuses %s with 400 BAD_REQUEST and sends nothing upstream", async (path) => {
    const before = app.received.length;
    const reply = await rawRequest(stack.gateway.url, { path });
    expectError(reply, 400, "BAD_REQUEST");
    expect(app.received.length).toBe(before);
  });

  it.each([
    ["/web/files/a.txt", "/base/files/a.txt"],
    ["/web/x?next=%2Fhome%2F..", "/base/x?next=%2Fhome%2F.."],
    ["/web/a%20b/c", "/base/a%20b/c"],
    ["/web/..a/b.", "/base/..a/b."],
  ])("still forwards %s, as %s", async (path, forwarded) => {
    const reply = await rawRequest(stack.gateway.url, { path });
    expect(reply.status).toBe(200);
    expect((reply.json() as MirrorReply).url).toBe(forwarded);
  });
});

describe("anyone can stop the gateway or any app with one GET", () => {
  /** Requests that reach an app's own admin endpoints through the gateway. */
  const FORWARDED_ADMIN: [string, string][] = [
    ["POST", "/plain/shutdown"],
    ["POST", "/plain/SHUTDOWN"],
    ["POST", "/plain//shutdown"],
    ["POST", "/plain/%73hutdown"],
    ["POST", "/plain/shutdown?now=1"],
    ["POST", "/plain/shutdown/"],
    ["GET", "/plain/shutdown"],
    ["POST", "/plain/register_app"],
    ["POST", "/plain/unregister_app"],
  ];
  const ADMIN = ["shutdown", "register_app", "unregister_app"];

  describe("without an admin token", () => {
    let stack: GatewayStack;
    let app: PlainApp;
    let echo: Running<EchoService>;

    beforeAll(async () => {
      stack = await startGatewayStack();
      app = await startPlainApp(mirror);
      echo = await startEcho();
      await stack.gw.registerApp("plain", app.url);
      await stack.gw.registerApp("echoer", echo.url);
    });
    afterAll(async () => {
      await stack?.[Symbol.asyncDispose]();
      await app?.close();
      await echo?.close();
    });

    it.each(ADMIN)("GET /%s: 405 METHOD_NOT_ALLOWED, and the gateway stays up", async (name) => {
      const reply = await rawRequest(`${stack.gateway.url}/${name}?name=plain`);
      expectError(reply, 405, "METHOD_NOT_ALLOWED");
      await expectUp(stack.gateway.url);
      expect(await stack.gw.listApps()).toEqual(["plain", "echoer"]);
    });

    it.each([
      "evil.example",
      "evil.example:80",
      "127.0.0.1.evil.example",
      "localhost.evil.example",
    ])("Host: %s gets 403 FORBIDDEN_HOST on every plane, and nothing happens", async (host) => {
      const before = app.received.length;
      const gw = stack.gateway.url;
      const replies = [
        await post(`${gw}/shutdown`, {}, { host }),
        await post(`${gw}/unregister_app`, { name: "plain" }, { host }),
        await post(`${gw}/register_app`, { name: "other", url: app.url }, { host }),
        await post(`${gw}/list_apps`, {}, { host }),
        await rawRequest(`${gw}/plain/x`, { headers: { host } }),
        await post(`${gw}/plain/shutdown`, {}, { host }),
      ];
      for (const reply of replies) expectError(reply, 403, "FORBIDDEN_HOST");
      expect(app.received.length).toBe(before);
      await expectUp(gw);
      expect(await stack.gw.listApps()).toEqual(["plain", "echoer"]);
    });

    it.each([
      ["Origin", { origin: "https://evil.example" }],
      ["Sec-Fetch-Site", { "sec-fetch-site": "cross-site" }],
    ])("a cross-site request (%s) to an admin endpoint gets 403 FORBIDDEN_ORIGIN", async (_, h) => {
      const gw = stack.gateway.url;
      expectError(await post(`${gw}/shutdown`, {}, h), 403, "FORBIDDEN_ORIGIN");
      expectError(
        await post(`${gw}/unregister_app`, { name: "plain" }, h),
        403,
        "FORBIDDEN_ORIGIN",
      );
      await expectUp(gw);
      expect(await stack.gw.listApps()).toEqual(["plain", "echoer"]);
    });

    it.each(FORWARDED_ADMIN)(
      "%s %s is not forwarded without an admin token, even from loopback",
      async (method, path) => {
        const before = app.received.length;
        const reply = await rawRequest(stack.gateway.url, { method, path });
        expect(["401 UNAUTHORIZED", "403 FORBIDDEN"]).toContain(`${reply.status} ${codeOf(reply)}`);
        expect(app.received.length).toBe(before);
      },
    );

    it("an app's shutdown through the gateway leaves the app up", async () => {
      const reply = await post(`${stack.gateway.url}/echoer/shutdown`, {});
      expect(["401 UNAUTHORIZED", "403 FORBIDDEN"]).toContain(`${reply.status} ${codeOf(reply)}`);
      await expectUp(echo.url);
      expect((await stack.gw.status()).status).toBe("Available");
    });
  });

  describe("with an admin token", () => {
    const TOKEN = "admin-token-for-tests";
    let stack: GatewayStack;
    let app: PlainApp;
    let echo: Running<EchoService>;

    beforeAll(async () => {
      stack = await startGatewayStack({ adminToken: TOKEN });
      app = await startPlainApp(mirror);
      echo = await startEcho();
      for (const [name, url] of [
        ["plain", app.url],
        ["echoer", echo.url],
      ] as const) {
        const reply = await post(`${stack.gateway.url}/register_app`, { name, url }, bearer(TOKEN));
        expect(reply.status).toBe(200);
      }
    });
    afterAll(async () => {
      await stack?.[Symbol.asyncDispose]();
      await app?.close();
      await echo?.close();
    });

    it.each(ADMIN)("POST /%s without a token: 401 UNAUTHORIZED", async (name) => {
      const reply = await post(`${stack.gateway.url}/${name}`, { name: "plain", url: app.url });
      expectError(reply, 401, "UNAUTHORIZED");
      await expectUp(stack.gateway.url);
    });

    it.each(ADMIN)("POST /%s with a wrong token: 403 FORBIDDEN", async (name) => {
      for (const authorization of [`Bearer ${TOKEN}x`, "Bearer wrong", `Basic ${TOKEN}`]) {
        const reply = await post(
          `${stack.gateway.url}/${name}`,
          { name: "plain", url: app.url },
          { authorization },
        );
        expectError(reply, 403, "FORBIDDEN");
      }
      await expectUp(stack.gateway.url);
      expect(await stack.gw.listApps()).toEqual(["plain", "echoer"]);
    });

    it("GET /shutdown with the right token is still 405", async () => {
      const reply = await rawRequest(`${stack.gateway.url}/shutdown`, { headers: bearer(TOKEN) });
      expectError(reply, 405, "METHOD_NOT_ALLOWED");
      await expectUp(stack.gateway.url);
    });

    it("register_app and unregister_app work with the right token", async () => {
      const gw = stack.gateway.url;
      const added = await post(
        `${gw}/register_app`,
        { name: "extra", url: app.url },
        bearer(TOKEN),
      );
      expect(added.status).toBe(200);
      expect(await stack.gw.listApps()).toContain("extra");
      const removed = await post(`${gw}/unregister_app`, { name: "extra" }, bearer(TOKEN));
      expect({ status: removed.status, body: removed.json() }).toEqual({
        status: 200,
        body: { name: "extra", removed: true, revision: expect.any(Number) as number },
      });
      expect(await stack.gw.listApps()).not.toContain("extra");
    });

    it.each(FORWARDED_ADMIN)(
      "%s %s needs the admin token: 401 without, 403 wrong, forwarded with it",
      async (method, path) => {
        const gw = stack.gateway.url;
        const before = app.received.length;
        expectError(await rawRequest(gw, { method, path }), 401, "UNAUTHORIZED");
        const wrong = await rawRequest(gw, { method, path, headers: bearer("wrong") });
        expectError(wrong, 403, "FORBIDDEN");
        expect(app.received.length).toBe(before);
        const right = await rawRequest(gw, { method, path, headers: bearer(TOKEN) });
        expect(right.status).toBe(200);
        expect(app.received.length).toBe(before + 1);
      },
    );

    it("an app's shutdown through the gateway without the token leaves the app up", async () => {
      expectError(await post(`${stack.gateway.url}/echoer/shutdown`, {}), 401, "UNAUTHORIZED");
      const wrong = await post(`${stack.gateway.url}/echoer/shutdown`, {}, bearer("nope"));
      expectError(wrong, 403, "FORBIDDEN");
      await expectUp(echo.url);
    });

    it("shutdown with the right token stops the gateway", async () => {
      await using gateway = await startGateway({ adminToken: TOKEN });
      const reply = await post(`${gateway.url}/shutdown`, {}, bearer(TOKEN));
      expect({ status: reply.status, body: reply.json() }).toEqual({
        status: 200,
        body: { shutdown: true },
      });
      await gateway.closed;
    });
  });
});

describe("discovery reads an app's detailed_endpoints reply with no size limit", () => {
  const CAP = 64 * 1024;

  /** An app whose detailed_endpoints answers about 1 MB of JSON; anything else is mirrored. */
  function hugeDiscovery(chunked: boolean): PlainHandler {
    const description = "x".repeat(1024 * 1024);
    const body = Buffer.from(
      JSON.stringify({ endpoints: { huge: { name: "huge", path: "/huge", description } } }),
    );
    return (req, res) => {
      if (!req.url.endsWith("/detailed_endpoints")) return mirror(req, res);
      const headers: Record<string, string | number> = { "content-type": "application/json" };
      if (!chunked) headers["content-length"] = body.length;
      res.writeHead(200, headers);
      for (let offset = 0; offset < body.length; offset += CAP) {
        res.write(body.subarray(offset, offset + CAP));
      }
      res.end();
    };
  }

  it.each([
    ["with Content-Length", false],
    ["chunked", true],
  ])(
    "a 1 MB reply %s: registered undiscovered with DISCOVERY_TOO_LARGE, raw forwarding works",
    async (_, chunked) => {
      await using stack = await startGatewayStack({ discoveryMaxBytes: CAP });
      await using app = await startPlainApp(hugeDiscovery(chunked));
      const info = await stack.gw.registerApp("big", app.url);
      expect(info.discovered).toBe(false);
      expect(info.discovery_error?.code).toBe("DISCOVERY_TOO_LARGE");
      expect(await stack.gw.listApps()).toEqual(["big"]);
      const reply = await rawRequest(`${stack.gateway.url}/big/x?y=1`);
      expect(reply.status).toBe(200);
      expect((reply.json() as MirrorReply).url).toBe("/x?y=1");
    },
  );

  it("a reply under the cap is discovered as before", async () => {
    await using stack = await startGatewayStack({ discoveryMaxBytes: CAP });
    await using echo = await startEcho();
    const info = await stack.gw.registerApp("echoer", echo.url);
    expect(info.discovered).toBe(true);
    expect(info.discovery_error).toBeUndefined();
    expect(Object.keys(info.endpoints)).toEqual(["echo"]);
  });
});

describe("over-limit request bodies through the gateway come back as upstream failures", () => {
  const TWO_MB = JSON.stringify({ message: "x".repeat(2 * 1024 * 1024) });
  const JSON_TYPE = { "content-type": "application/json" };

  it("a 2 MB echo gets the app's own 413 PAYLOAD_TOO_LARGE, 20 times out of 20 (raw)", async () => {
    await using echo = await startEcho();
    await using stack = await startGatewayStack();
    await stack.gw.registerApp("echoer", echo.url);
    const outcomes: string[] = [];
    for (let i = 0; i < 20; i++) {
      const reply = await rawRequest(`${stack.gateway.url}/echoer/echo`, {
        method: "POST",
        headers: JSON_TYPE,
        body: TWO_MB,
      }).catch((error: NodeJS.ErrnoException) => ({ status: 0, json: () => error.code }));
      outcomes.push(`${reply.status} ${codeOf(reply) ?? String(reply.json())}`);
    }
    expect(outcomes).toEqual(Array(20).fill("413 PAYLOAD_TOO_LARGE"));
    await expectUp(echo.url);
    expect((await post(`${stack.gateway.url}/echoer/echo`, { message: "small" })).json()).toEqual({
      echoed: "small",
    });
  });

  it("a 2 MB echo gets PAYLOAD_TOO_LARGE, 20 times out of 20 (typed client)", async () => {
    await using echo = await startEcho();
    await using stack = await startGatewayStack<{ echoer: EchoTasks }>();
    await stack.gw.registerApp("echoer", echo.url);
    const message = "x".repeat(2 * 1024 * 1024);
    const codes: string[] = [];
    for (let i = 0; i < 20; i++) {
      codes.push(
        // A per-call timeout: a request the gateway never answers shows up as REQUEST_TIMEOUT.
        await stack.gw.echoer.echo({ message }, { timeout: 3_000 }).then(
          () => "resolved",
          (error: { code?: string }) => String(error.code),
        ),
      );
    }
    expect(codes).toEqual(Array(20).fill("PAYLOAD_TOO_LARGE"));
    await expectRejects(
      stack.gw.echoer.echo({ message }, { timeout: 3_000 }),
      PayloadTooLargeError,
      "PAYLOAD_TOO_LARGE",
    );
    expect(await stack.gw.echoer.echo({ message: "small" })).toEqual({ echoed: "small" });
  }, 90_000);

  describe("the gateway's own maxBodyBytes", () => {
    const LIMIT = 256 * 1024;
    let stack: GatewayStack;
    let echo: Running<EchoService>;
    let routed: string[];
    const over = JSON.stringify({ message: "x".repeat(2 * LIMIT) });

    beforeAll(async () => {
      const service = new EchoService({ bodyLimit: 8 * LIMIT });
      routed = recordRequests(service);
      echo = await serveOn(service);
      stack = await startGatewayStack({ maxBodyBytes: LIMIT });
      await stack.gw.registerApp("echoer", echo.url);
    });
    afterAll(async () => {
      await stack?.[Symbol.asyncDispose]();
      await echo?.close();
    });

    it("a Content-Length over it: 413 PAYLOAD_TOO_LARGE from the gateway, nothing sent upstream", async () => {
      const before = routed.length;
      const reply = await rawRequest(`${stack.gateway.url}/echoer/echo`, {
        method: "POST",
        headers: JSON_TYPE,
        body: over,
      });
      expectError(reply, 413, "PAYLOAD_TOO_LARGE");
      expect(routed.length).toBe(before);
    });

    it("a chunked body over it: 413 PAYLOAD_TOO_LARGE", async () => {
      const reply = await rawRequest(`${stack.gateway.url}/echoer/echo`, {
        method: "POST",
        headers: { ...JSON_TYPE, "transfer-encoding": "chunked" },
        body: over,
      });
      expectError(reply, 413, "PAYLOAD_TOO_LARGE");
      await expectUp(echo.url);
    });

    it("a body under it, larger than the buffered size, is forwarded", async () => {
      const message = "y".repeat(LIMIT - 1024);
      for (const headers of [JSON_TYPE, { ...JSON_TYPE, "transfer-encoding": "chunked" }]) {
        const reply = await rawRequest(`${stack.gateway.url}/echoer/echo`, {
          method: "POST",
          headers,
          body: JSON.stringify({ message }),
        });
        expect(reply.status).toBe(200);
        expect((reply.json() as { echoed: string }).echoed.length).toBe(message.length);
      }
    });
  });
});

describe("a password with no user name is accepted, echoed and listed", () => {
  let stack: GatewayStack;
  let app: PlainApp;

  beforeAll(async () => {
    stack = await startGatewayStack();
    app = await startPlainApp(mirror);
  });
  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
    await app?.close();
  });

  it.each([
    ["http://:s3cr3tpw@", ""],
    ["http://:s3cr3tpw@", "/base"],
    ["http://user:s3cr3tpw@", ""],
    ["http://:s3cr3t%70w@", ""],
  ])("%s…%s: 400 INVALID_APP_URL, the password nowhere", async (prefix, path) => {
    const url = app.url.replace("http://", prefix) + path;
    const reply = await postJson(`${stack.gateway.url}/register_app`, { name: "creds", url });
    expectError(reply, 400, "INVALID_APP_URL");
    expect(reply.body.toString("utf8")).not.toContain("s3cr3t");
    const listed = await post(`${stack.gateway.url}/list_apps_with_schemas`, {});
    expect(listed.status).toBe(200);
    expect(listed.body.toString("utf8")).not.toContain("s3cr3t");
    expect(await stack.gw.listApps()).not.toContain("creds");
  });

  it("the typed client gets InvalidAppUrlError", async () => {
    const url = app.url.replace("http://", "http://:s3cr3tpw@");
    await expectRejects(stack.gw.registerApp("creds", url), InvalidAppUrlError, "INVALID_APP_URL");
  });
});

describe("the gateway accepts itself as an upstream", () => {
  // Small timeouts: a regression fails fast with 504 instead of nesting for 30 s.
  const FAST = { upstreamTimeout: 2_000, discoveryTimeout: 2_000, connectTimeout: 2_000 };

  it("registering the gateway itself: 508 LOOP_DETECTED at registration", async () => {
    await using stack = await startGatewayStack(FAST);
    const gw = stack.gateway.url;
    await expectRejects(stack.gw.registerApp("loop", gw), LoopDetectedError, "LOOP_DETECTED");
    for (const url of [gw, `${gw}/`, `${gw}/loop`, `${gw}/status`]) {
      expectError(
        await postJson(`${gw}/register_app`, { name: "loop", url }),
        508,
        "LOOP_DETECTED",
      );
    }
    expect(await stack.gw.listApps()).toEqual([]);
    expectError(await rawRequest(`${gw}/loop/x`), 404, "APP_NOT_REGISTERED");
    await expectUp(gw);
  });

  it("through a second gateway: A registering B's app that points at A gets 508", async () => {
    await using a = await startGatewayStack(FAST);
    await using b = await startGatewayStack(FAST);
    const toA = await b.gw.registerApp("toA", a.gateway.url);
    expect(toA.discovered).toBe(true);
    const reply = await postJson(`${a.gateway.url}/register_app`, {
      name: "toB",
      url: `${b.gateway.url}/toA`,
    });
    expectError(reply, 508, "LOOP_DETECTED");
    expect(await a.gw.listApps()).toEqual([]);
    await expectUp(a.gateway.url);
    await expectUp(b.gateway.url);
  });

  it("a loop closed after registration: forwarded calls get 508 LOOP_DETECTED, not 504", async () => {
    await using a = await startGatewayStack(FAST);
    await using b = await startGatewayStack(FAST);
    // B has no app "back" yet, so A's discovery of it finds nothing and the loop goes unseen.
    const later = await a.gw.registerApp("later", `${b.gateway.url}/back`);
    expect(later.discovered).toBe(false);
    await b.gw.registerApp("back", a.gateway.url);
    for (const path of ["/later/x", "/later/later/x", "/later/status"]) {
      expectError(await rawRequest(`${a.gateway.url}${path}`), 508, "LOOP_DETECTED");
    }
    await expectUp(a.gateway.url);
    await expectUp(b.gateway.url);
  });
});

describe("unregister_app during an app's first registration answers 404, and the app appears later", () => {
  it("the unregistration wins: removed: true, and the app never appears", async () => {
    let answered = false;
    const slowDiscovery: PlainHandler = (req, res) => {
      if (!req.url.endsWith("/detailed_endpoints")) return mirror(req, res);
      setTimeout(() => {
        answered = true;
        sendJson(res, 200, { endpoints: {} });
      }, 500);
    };
    await using stack = await startGatewayStack();
    await using app = await startPlainApp(slowDiscovery);
    const gw = stack.gateway.url;
    const registering = postJson(`${gw}/register_app`, { name: "slow", url: app.url });
    expect(await waitFor(() => app.received.some((r) => r.url === "/detailed_endpoints"))).toBe(
      true,
    );
    const removed = await postJson(`${gw}/unregister_app`, { name: "slow" });
    expect({ status: removed.status, body: removed.json() }).toEqual({
      status: 200,
      body: { name: "slow", removed: true },
    });
    await registering;
    expect(answered).toBe(true);
    expect(await stack.gw.listApps()).toEqual([]);
    const listed = await post(`${gw}/list_apps_with_schemas`, {});
    expect(listed.json()).toMatchObject({ apps: [] });
    expectError(await rawRequest(`${gw}/slow/x`), 404, "APP_NOT_REGISTERED");
  });
});

describe("errors from the HTTP parser are not in our JSON shape", () => {
  let stack: GatewayStack;
  let app: PlainApp;

  beforeAll(async () => {
    stack = await startGatewayStack();
    app = await startPlainApp(mirror);
    await stack.gw.registerApp("plain", app.url);
  });
  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
    await app?.close();
  });

  it.each([
    ["a request line that is not HTTP", "this is not http\r\n\r\n"],
    [
      "a request line with a space in its target",
      "GET /plain/a b HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    ],
    [
      "a header line without a colon",
      "GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nno colon\r\n\r\n",
    ],
  ])("%s: 400 BAD_REQUEST as JSON", async (_, bytes) => {
    const before = app.received.length;
    const reply = await sendRaw(stack.gateway.url, bytes);
    expectError(reply, 400, "BAD_REQUEST");
    expect(reply.headers["content-type"]).toMatch(/^application\/json/);
    expect(app.received.length).toBe(before);
    await expectUp(stack.gateway.url);
  });

  it.each(["/status", "/plain/x"])(
    "headers over 16 KB on %s: 431 HEADERS_TOO_LARGE as JSON",
    async (path) => {
      const before = app.received.length;
      const head = requestHead(stack.gateway.url, "GET", path, [`X-Big: ${"a".repeat(20_000)}`]);
      const reply = await sendRaw(stack.gateway.url, head);
      expectError(reply, 431, "HEADERS_TOO_LARGE");
      expect(reply.headers["content-type"]).toMatch(/^application\/json/);
      expect(app.received.length).toBe(before);
    },
  );

  it("an HTTP/1.1 request with no Host header gets a JSON error", async () => {
    const reply = await sendRaw(stack.gateway.url, "GET /plain/x HTTP/1.1\r\n\r\n");
    expect(["400 BAD_REQUEST", "403 FORBIDDEN_HOST"]).toContain(`${reply.status} ${codeOf(reply)}`);
  });
});

describe("an absolute-form request target is read as an app named ttp:", () => {
  let stack: GatewayStack;
  let app: PlainApp;

  beforeAll(async () => {
    stack = await startGatewayStack();
    app = await startPlainApp(mirror);
    await stack.gw.registerApp("plain", app.url);
  });
  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
    await app?.close();
  });

  it.each(["/x", "/plain/x", "/status"])(
    "GET http://127.0.0.1:P%s: 400 BAD_REQUEST",
    async (path) => {
      const gw = stack.gateway.url;
      const before = app.received.length;
      const reply = await sendRaw(gw, requestHead(gw, "GET", `${gw}${path}`));
      expectError(reply, 400, "BAD_REQUEST");
      expect(app.received.length).toBe(before);
    },
  );
});

describe("TRACE and PROPFIND are forwarded", () => {
  let stack: GatewayStack;
  let app: PlainApp;

  beforeAll(async () => {
    stack = await startGatewayStack();
    app = await startPlainApp(mirror);
    await stack.gw.registerApp("plain", app.url);
  });
  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
    await app?.close();
  });

  const cases = ["TRACE", "PROPFIND"].flatMap((method) =>
    ["/plain/x", "/plain", "/nope/x", "/status", "/register_app", "/"].map(
      (path) => [method, path] as const,
    ),
  );

  it.each(cases)("%s %s: 405 METHOD_NOT_ALLOWED with an Allow header", async (method, path) => {
    const before = app.received.length;
    const reply = await rawRequest(stack.gateway.url, { method, path });
    expectError(reply, 405, "METHOD_NOT_ALLOWED");
    const allow = String(reply.headers.allow ?? "")
      .split(",")
      .map((m) => m.trim());
    expect(allow).toEqual(expect.arrayContaining(["GET", "POST"]));
    expect(allow).not.toContain(method);
    expect(app.received.length).toBe(before);
  });
});

describe("a request whose Content-Length is larger than its body hangs", () => {
  let stack: GatewayStack;
  let app: PlainApp;

  beforeAll(async () => {
    stack = await startGatewayStack({ requestTimeout: 1_000, headersTimeout: 500 });
    app = await startPlainApp(mirror);
    await stack.gw.registerApp("plain", app.url);
  });
  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
    await app?.close();
  });

  it.each([
    ["a forwarded path (buffered body)", "/plain/upload", 100],
    ["a forwarded path (streamed body)", "/plain/upload", 1_000_000],
    ["a gateway route", "/list_apps", 100],
  ])("%s: 408 REQUEST_TOO_SLOW", async (_, path, length) => {
    const gw = stack.gateway.url;
    const head = requestHead(gw, "POST", path, [
      "Content-Type: application/json",
      `Content-Length: ${length}`,
    ]);
    const reply = await sendRaw(gw, `${head}{"a":`, { deadline: 10_000 });
    expect(reply.timedOut).toBe(false);
    expectError(reply, 408, "REQUEST_TOO_SLOW");
    await expectUp(gw);
  });

  it("headers that never end: 408 REQUEST_TOO_SLOW", async () => {
    const gw = stack.gateway.url;
    const partial = `GET /plain/x HTTP/1.1\r\nHost: ${new URL(gw).host}\r\nX-Slow: 1\r\n`;
    const reply = await sendRaw(gw, partial, { deadline: 10_000 });
    expect(reply.timedOut).toBe(false);
    expectError(reply, 408, "REQUEST_TOO_SLOW");
  });
});

describe("a 1 MB app name is echoed twice in a 2 MB error reply", () => {
  const HUGE = "a".repeat(1_000_000);
  let stack: GatewayStack;
  let app: PlainApp;

  beforeAll(async () => {
    stack = await startGatewayStack();
    app = await startPlainApp(mirror);
  });
  afterAll(async () => {
    await stack?.[Symbol.asyncDispose]();
    await app?.close();
  });

  it("register_app: 400 INVALID_APP_NAME in a small reply", async () => {
    const reply = await postJson(`${stack.gateway.url}/register_app`, {
      name: HUGE,
      url: app.url,
    });
    expectError(reply, 400, "INVALID_APP_NAME");
    expect(reply.body.length).toBeLessThan(2048);
  });

  it("unregister_app: 404 APP_NOT_REGISTERED in a small reply", async () => {
    const reply = await postJson(`${stack.gateway.url}/unregister_app`, { name: HUGE });
    expectError(reply, 404, "APP_NOT_REGISTERED");
    expect(reply.body.length).toBeLessThan(2048);
  });

  it("a forwarded path naming a 10 KB app: 404 APP_NOT_REGISTERED in a small reply", async () => {
    const reply = await rawRequest(stack.gateway.url, { path: `/${"b".repeat(10_000)}/x` });
    expectError(reply, 404, "APP_NOT_REGISTERED");
    expect(reply.body.length).toBeLessThan(2048);
  });
});
