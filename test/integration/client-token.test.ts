/**
 * Client tokens: every request of a transport carries `Authorization: Bearer <token>` (from
 * `token`, else `$PORTICO_TOKEN` read at construction), a call's own header wins, and the gateway
 * client sends it on every request it makes. A raw node:http server on 127.0.0.1 records what
 * arrives, so these tests need no server-side policy.
 */
import { createServer } from "node:http";
import type { IncomingHttpHeaders, Server } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { ConnectionManager } from "../../src/client/connection-manager.js";
import { HttpTransport } from "../../src/client/transport.js";
import { InvalidOptionsError } from "../../src/errors.js";
import { Gateway } from "../../src/gateway/gateway.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { expectThrows } from "../helpers/expect-error.js";

/** One request as the recorder saw it. */
interface Seen {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
}

/** A loopback server that answers like a Portico gateway with one app, and records requests. */
interface Recorder extends AsyncDisposable {
  url: string;
  seen: Seen[];
  authorizations(): (string | undefined)[];
}

const REPLIES: Record<string, unknown> = {
  "/status": { status: "Available" },
  "/heartbeat": { heartbeat: { status: "Available", server_id: "recorder", message: "ok" } },
  "/list_apps": { apps: ["echoer"] },
  "/list_apps_with_schemas": {
    apps: [{ name: "echoer", url: "http://127.0.0.1:9", endpoints: {} }],
  },
  "/echoer/echo": { echoed: "raw" },
  "/endpoints": { endpoints: ["echo"] },
  "/echo": { echoed: "direct" },
};

async function startRecorder(): Promise<Recorder> {
  const seen: Seen[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const path = (req.url ?? "/").split("?")[0] ?? "/";
      seen.push({ method: req.method ?? "", path, headers: req.headers });
      const reply = REPLIES[path];
      res.writeHead(reply === undefined ? 404 : 200, { "content-type": "application/json" });
      res.end(JSON.stringify(reply ?? { error: { code: "ENDPOINT_NOT_FOUND", message: path } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    authorizations: () => seen.map((s) => s.headers.authorization),
    [Symbol.asyncDispose]: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const saved = process.env.PORTICO_TOKEN;
afterEach(() => {
  if (saved === undefined) delete process.env.PORTICO_TOKEN;
  else process.env.PORTICO_TOKEN = saved;
});

describe("client tokens", () => {
  it("sends the bearer token with every request, with or without a body", async () => {
    delete process.env.PORTICO_TOKEN;
    await using server = await startRecorder();
    await using client = new ConnectionManager({ url: server.url, token: "s3cret" });
    await client.status();
    await client.call("echo", { message: "x" });
    await client.call("endpoints", undefined, { method: "GET" });
    expect(server.authorizations()).toEqual(["Bearer s3cret", "Bearer s3cret", "Bearer s3cret"]);
    expect(server.seen[1]?.headers["content-type"]).toBe("application/json");
  });

  it("sends no Authorization header without a token", async () => {
    delete process.env.PORTICO_TOKEN;
    await using server = await startRecorder();
    await using client = new ConnectionManager({ url: server.url });
    await client.call("echo", { message: "x" }, { headers: { "x-extra": "1" } });
    await client.status();
    expect(server.authorizations()).toEqual([undefined, undefined]);
    expect(server.seen[0]?.headers["x-extra"]).toBe("1");
  });

  it("lets a call's own header win, whatever its case, and keeps the others", async () => {
    delete process.env.PORTICO_TOKEN;
    await using server = await startRecorder();
    await using client = new ConnectionManager({ url: server.url, token: "s3cret" });
    await client.call("echo", {}, { headers: { Authorization: "Bearer other" } });
    await client.call("echo", {}, { headers: { authorization: "Bearer third" } });
    await client.call("echo", {}, { headers: { "x-trace": "t" } });
    expect(server.seen.map((s) => s.headers.authorization)).toEqual([
      "Bearer other",
      "Bearer third",
      "Bearer s3cret",
    ]);
    expect(server.seen[0]?.headers["content-type"]).toBe("application/json");
    expect(server.seen[2]?.headers["x-trace"]).toBe("t");
  });

  it("falls back to $PORTICO_TOKEN, read once when the client is built", async () => {
    await using server = await startRecorder();
    process.env.PORTICO_TOKEN = "from-env";
    await using client = new ConnectionManager({ url: server.url });
    process.env.PORTICO_TOKEN = "changed-later";
    await client.status();
    await using explicit = new ConnectionManager({ url: server.url, token: "given" });
    await explicit.status();
    // An empty token opts out of the environment's.
    await using none = new ConnectionManager({ url: server.url, token: "" });
    await none.status();
    expect(server.authorizations()).toEqual(["Bearer from-env", "Bearer given", undefined]);
  });

  it("refuses a token that cannot travel in a header, without showing it", () => {
    for (const token of ["has space", "line\nbreak", "naïve"]) {
      const error = expectThrows(
        () => new HttpTransport("http://127.0.0.1:9", { token }),
        InvalidOptionsError,
        "INVALID_OPTIONS",
      );
      expect(error.message).not.toContain(token);
    }
  });

  it("keeps the token out of the transport's inspected form", async () => {
    await using transport = new HttpTransport("http://127.0.0.1:9", { token: "hidden-token" });
    expect(inspect(transport, { depth: 4 })).not.toContain("hidden-token");
  });

  it("reaches every request of Service.connect and of a gateway client and its app proxies", async () => {
    delete process.env.PORTICO_TOKEN;
    await using server = await startRecorder();
    const echo = await EchoService.connect(server.url, { token: "t1" });
    await echo.close();
    const gw = await Gateway.connect(server.url, { token: "t2" });
    try {
      await gw.refresh();
      expect(await gw.app("echoer").call("echo", { message: "raw" })).toEqual({ echoed: "raw" });
      expect(await gw.listApps()).toEqual(["echoer"]);
    } finally {
      await gw.close();
    }
    const paths = server.seen.map((s) => `${s.path} ${s.headers.authorization}`);
    expect(paths).toEqual([
      "/heartbeat Bearer t1",
      "/heartbeat Bearer t2",
      "/events Bearer t2", // the change stream (404 here: the client then pulls)
      "/list_apps Bearer t2",
      "/list_apps_with_schemas Bearer t2",
      "/echoer/echo Bearer t2",
      "/list_apps Bearer t2",
    ]);
  });
});
