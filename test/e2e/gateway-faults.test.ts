/**
 * Faults with real processes: a gateway launched as a child process (its own event loop, as in
 * production) facing an upstream killed with SIGKILL and restarted under load, an upstream that
 * stalls, a slow-loris client and a client that never reads a large reply. Loads are bounded in
 * requests and time; every request carries a client deadline, so a hung one fails the test
 * instead of hanging it.
 */
import { createServer } from "node:http";
import type { Server, ServerResponse } from "node:http";
import { connect } from "node:net";
import type { AddressInfo, Socket } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Pool } from "undici";
import { Gateway } from "../../src/gateway/gateway.js";
import type { GatewayClient } from "../../src/gateway/gateway-client.js";
import { launchService } from "../../src/launcher/launch.js";
import type { LaunchedService } from "../../src/launcher/launch.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { waitFor } from "../helpers/fixtures.js";
import { mirror, startPlainApp } from "../helpers/plain-app.js";
import { killIfRunning } from "../helpers/processes.js";
import { parseReply } from "../helpers/socket-exchange.js";
import { postOutcome, startLoad, stopLaunched } from "../helpers/gateway-load.js";
import type { Outcome } from "../helpers/gateway-load.js";

/** The launched gateway's limits, short enough for a test. */
const UPSTREAM_TIMEOUT = 1_500;
const HEADERS_TIMEOUT = 1_000;
let gw: GatewayClient;
/** A keep-alive pool to the gateway, as a busy client would hold. */
let pool: Pool;

beforeAll(async () => {
  gw = await Gateway.launch({
    timeout: 20_000,
    serviceOptions: { upstreamTimeout: UPSTREAM_TIMEOUT, headersTimeout: HEADERS_TIMEOUT },
  });
  pool = new Pool(gw.url, { connections: 16 });
}, 30_000);

afterAll(() => stopLaunched(gw, pool), 30_000);

/** POSTs JSON through the gateway's pool with a client deadline; never throws. */
function call(path: string, body: unknown): Promise<Outcome> {
  return postOutcome(pool, path, body);
}

describe("an upstream killed and restarted under load", () => {
  it("never hangs a request, answers 502/503/504 with a code meanwhile, and recovers by itself", async () => {
    let first: LaunchedService | undefined;
    let second: LaunchedService | undefined;
    try {
      first = await launchService(EchoService, { timeout: 20_000 });
      const url = first.url;
      await gw.registerApp("victim", url);
      const load = startLoad(pool, "/victim/echo", 8, 20_000, 60_000);
      try {
        expect(await waitFor(() => load.ok >= 50, 10_000)).toBe(true);
        process.kill(first.process.pid!, "SIGKILL");
        await first.process.exited;
        // The app is down: the gateway must say so, not hang.
        const okAtKill = load.ok;
        expect(await waitFor(() => load.errors >= 8, 10_000)).toBe(true);
        second = await launchService(EchoService, { url, timeout: 20_000 });
        // Same registration, same pool: the gateway reconnects on its own.
        expect(await waitFor(() => load.ok >= okAtKill + 100, 15_000)).toBe(true);
      } finally {
        await load.stop();
      }
      const outcomes = load.outcomes;
      expect(outcomes.filter((o) => o.failed !== undefined)).toEqual([]);
      const errors = outcomes.filter((o) => o.status !== 200);
      expect(errors.length).toBeGreaterThan(0);
      for (const error of errors) {
        expect([502, 503, 504]).toContain(error.status);
        expect(error.code).toMatch(/^[A-Z_]+$/);
      }
      const codes = [...new Set(errors.map((e) => e.code ?? ""))];
      // NO_HEALTHY_INSTANCE: the dead instance was ejected, so calls failed fast meanwhile.
      expect(
        codes.every(
          (c) =>
            c.startsWith("UPSTREAM_") || c === "SERVICE_STOPPING" || c === "NO_HEALTHY_INSTANCE",
        ),
      ).toBe(true);
      // After the restart: calls succeed, and the app is registered once, as before.
      for (let i = 0; i < 5; i++) {
        expect(await call("/victim/echo", { message: "again" })).toEqual({ status: 200 });
      }
      expect((await gw.listApps()).filter((name) => name === "victim")).toEqual(["victim"]);
    } finally {
      await gw.unregisterApp("victim").catch(() => undefined);
      killIfRunning(first?.process.pid);
      await second?.process.stop(5_000);
    }
  }, 90_000);
});

/** A node:http app that answers /detailed_endpoints with 404 and never answers anything else. */
async function startStallingApp(): Promise<{
  url: string;
  readonly open: number;
  readonly accepted: number;
  close(): Promise<void>;
}> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    if (req.url?.endsWith("/detailed_endpoints")) {
      res.writeHead(404, { "content-type": "application/json" });
      res.end('{"error":{"code":"ENDPOINT_NOT_FOUND","message":"none"}}');
    }
    // Anything else: accepted, read, never answered.
  });
  server.on("connection", (socket: Socket) => {
    accepted++;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get open() {
      return sockets.size;
    },
    get accepted() {
      return accepted;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("an upstream that stalls", () => {
  it("gets 504 UPSTREAM_TIMEOUT at the configured timeout and leaves no socket open", async () => {
    const app = await startStallingApp();
    try {
      await gw.registerApp("staller", app.url);
      const replies = await Promise.all(
        Array.from({ length: 6 }, (_, i) => call(`/staller/work-${i}`, { n: i })),
      );
      expect(replies).toEqual(replies.map(() => ({ status: 504, code: "UPSTREAM_TIMEOUT" })));
      expect(app.accepted).toBeGreaterThanOrEqual(1);
      // The gateway closed each connection it gave up on: the app sees them all closed.
      expect(await waitFor(() => app.open === 0, 10_000)).toBe(true);
      // And the gateway still serves.
      expect((await gw.status()).status).toBe("Available");
    } finally {
      await gw.unregisterApp("staller").catch(() => undefined);
      await app.close();
    }
  }, 30_000);
});

/** The bytes of one request; the reply comes back on the same socket. */
function openSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => resolve(socket));
    socket.once("error", reject);
  });
}

describe("a slow-loris client", () => {
  it("is cut off by headersTimeout while the gateway keeps serving others", async () => {
    await using echoApp = await startPlainApp(mirror);
    await gw.registerApp("loris", echoApp.url);
    const socket = await openSocket(gw.url);
    const received: Buffer[] = [];
    let closed = false;
    socket.on("data", (chunk: Buffer) => received.push(chunk));
    socket.on("error", () => undefined);
    socket.once("close", () => (closed = true));
    const { port } = new URL(gw.url);
    const head = `POST /loris/x HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nX-Slow: ${"a".repeat(200)}`;
    // One byte every 200 ms: at most the head's length in bytes, i.e. at most ~45 s.
    const dribble = (async () => {
      let sent = 0;
      for (const byte of Buffer.from(head)) {
        if (closed || socket.destroyed) break;
        socket.write(Buffer.of(byte));
        sent++;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      return sent;
    })();
    try {
      // Others are served meanwhile, through the same gateway, forwarded and not.
      let others = 0;
      while (!closed && others < 200) {
        expect(await call("/loris/y", { n: others })).toEqual({ status: 200 });
        expect((await call("/status", {})).status).toBe(200);
        others += 1;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(await waitFor(() => closed, 15_000)).toBe(true);
      const sent = await dribble;
      expect(sent).toBeLessThan(head.length); // cut off before its headers were complete
      expect(others).toBeGreaterThan(0);
      const reply = parseReply(Buffer.concat(received));
      expect([reply.status, reply.code]).toEqual([408, "REQUEST_TOO_SLOW"]);
      // The slow request never reached the app.
      expect(echoApp.received.filter((r) => r.url === "/x")).toEqual([]);
    } finally {
      socket.destroy();
      await dribble;
      await gw.unregisterApp("loris").catch(() => undefined);
    }
  }, 60_000);
});

/** 64 MiB: more than every socket buffer between the app and a client that does not read. */
const HUGE = 64 * 1024 * 1024;
const PIECE = Buffer.alloc(64 * 1024, 0x61);

/** An app whose /large streams HUGE bytes with backpressure, reporting how far it got. */
async function startLargeApp(): Promise<{
  url: string;
  readonly written: number;
  readonly outcome: "streaming" | "finished" | "closed early" | "idle";
  close(): Promise<void>;
}> {
  let written = 0;
  let outcome: "streaming" | "finished" | "closed early" | "idle" = "idle";
  const server = createServer((req, res: ServerResponse) => {
    req.resume();
    if (!req.url?.endsWith("/large")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ url: req.url }));
      return;
    }
    outcome = "streaming";
    res.writeHead(200, { "content-type": "application/octet-stream" });
    res.once("close", () => {
      if (outcome === "streaming") outcome = res.writableFinished ? "finished" : "closed early";
    });
    const write = (): void => {
      while (written < HUGE && !res.destroyed) {
        written += PIECE.length;
        if (!res.write(PIECE)) return void res.once("drain", write);
      }
      if (!res.destroyed) res.end();
    };
    write();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get written() {
      return written;
    },
    get outcome() {
      return outcome;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

describe("a client that never reads a large reply", () => {
  it("blocks nobody, holds the app back instead of buffering, and frees the upstream when it goes", async () => {
    const app = await startLargeApp();
    let socket: Socket | undefined;
    try {
      await gw.registerApp("big", app.url);
      socket = await openSocket(gw.url);
      socket.on("error", () => undefined);
      socket.pause(); // never reads
      const { port } = new URL(gw.url);
      socket.write(`GET /big/large HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      expect(await waitFor(() => app.written > 0, 10_000)).toBe(true);
      // Wait (bounded) until the app can write no more: every buffer on the way is full.
      let last = -1;
      await waitFor(async () => {
        const now = app.written;
        const stable = now === last;
        last = now;
        if (!stable) await new Promise((resolve) => setTimeout(resolve, 250));
        return stable;
      }, 15_000);
      // Other clients, to the same app and elsewhere, are served meanwhile.
      for (let i = 0; i < 20; i++) {
        expect(await call(`/big/small-${i}`, {})).toEqual({ status: 200 });
      }
      expect((await gw.status()).status).toBe("Available");
      // Backpressure reached the app: the gateway did not read the whole reply into memory.
      expect(app.outcome).toBe("streaming");
      expect(app.written).toBeLessThan(HUGE);
      // The stalled client goes away: the gateway lets go of the upstream request.
      socket.destroy();
      expect(await waitFor(() => app.outcome !== "streaming", 10_000)).toBe(true);
      expect(app.outcome).toBe("closed early");
      expect(await call("/big/after", {})).toEqual({ status: 200 });
    } finally {
      socket?.destroy();
      await gw.unregisterApp("big").catch(() => undefined);
      await app.close();
    }
  }, 60_000);
});
