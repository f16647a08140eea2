/**
 * Properties (fast-check) over one real gateway and a plain mirror app: arbitrary app names and
 * app URLs at `register_app`, and arbitrary request targets through the forwarder, sent as raw
 * bytes. Each answer is either a 4xx carrying an error code or a correct result (a registration,
 * a forward that stays inside the app's base path); never a 5xx, and the gateway stays Available.
 *
 * No traffic leaves loopback: IP literals in generated URLs are loopback addresses, every host
 * name goes through an injected resolver that maps it to 127.0.0.1 or 127.0.0.2 or fails with
 * ENOTFOUND, only 127.0.0.1 is an allowed upstream, and any URL the gateway could dial names
 * the mirror's port.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Gateway } from "../../src/gateway/gateway.js";
import type { ResolvedAddress } from "../../src/gateway/upstream/guard.js";
import { isLoopbackAddress } from "../../src/net/address.js";
import { startGateway } from "../helpers/fixtures.js";
import type { Running } from "../helpers/fixtures.js";
import { startPlainApp } from "../helpers/plain-app.js";
import type { PlainApp } from "../helpers/plain-app.js";
import { postJson, rawRequest } from "../helpers/raw-http.js";
import { exchange } from "../helpers/socket-exchange.js";
import { appName, appUrl, escapeOf, pathTail } from "../helpers/properties.js";

const RUNS = { numRuns: 150 };

/** Names the resolver refuses: `.invalid` is reserved for exactly that (RFC 2606). */
function resolve(hostname: string): Promise<ResolvedAddress[]> {
  const name = hostname.toLowerCase();
  if (name.endsWith(".invalid") || name.startsWith("nx")) {
    return Promise.reject(
      Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }),
    );
  }
  // 127.0.0.2 is loopback but not an allowed upstream: a refusal before any connection.
  const address = name.startsWith("other") ? "127.0.0.2" : "127.0.0.1";
  return Promise.resolve([{ address, family: 4 }]);
}

let mirror: PlainApp;
let gw: Running<Gateway>;
let mirrorPort: string;

beforeAll(async () => {
  mirror = await startPlainApp();
  mirrorPort = new URL(mirror.url).port;
  gw = await startGateway({
    allowedUpstreams: ["127.0.0.1/32"],
    resolver: resolve,
    discoveryTimeout: 2_000,
  });
  await gw.service.registerApp("m", `${mirror.url}/base`);
});

afterAll(async () => {
  await gw?.close();
  await mirror?.close();
});

async function expectAvailable(): Promise<void> {
  const reply = await rawRequest(`${gw.url}/status`);
  expect([reply.status, reply.json()]).toEqual([200, { status: "Available" }]);
}

function errorCode(body: unknown): string | undefined {
  const code = (body as { error?: { code?: unknown } } | undefined)?.error?.code;
  return typeof code === "string" ? code : undefined;
}

describe("register_app over arbitrary app names", () => {
  it("answers 2xx or 400 INVALID_APP_NAME, never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(appName, async (name) => {
        const reply = await postJson(`${gw.url}/register_app`, { name, url: mirror.url });
        const body = reply.json() as { name?: string };
        if (reply.status === 200) {
          expect(body.name).toBe(name);
          const removed = await postJson(`${gw.url}/unregister_app`, { name });
          expect(removed.status).toBe(200);
        } else {
          expect([reply.status, errorCode(body)]).toEqual([400, "INVALID_APP_NAME"]);
        }
      }),
      RUNS,
    );
    await expectAvailable();
  });

  it("answers 4xx with a code for names that are not strings", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.jsonValue().filter((v) => typeof v !== "string"),
        async (name) => {
          const reply = await postJson(`${gw.url}/register_app`, { name, url: mirror.url });
          expect(reply.status).toBeGreaterThanOrEqual(400);
          expect(reply.status).toBeLessThan(500);
          expect(errorCode(reply.json())).toMatch(/^[A-Z_]+$/);
        },
      ),
      { numRuns: 50 },
    );
    await expectAvailable();
  });
});

/**
 * Hosts of generated URLs: loopback literals in many spellings (127.0.0.2 is not allowed), and
 * names for the resolver.
 */
const hosts = fc.oneof(
  fc.constantFrom(
    "127.0.0.1",
    "127.0.0.2",
    "[::1]",
    "127.1",
    "0x7f000001",
    "2130706433",
    "[::ffff:127.0.0.1]",
    "localhost",
    "",
  ),
  fc.domain(),
  fc.domain().map((d) => `${d}.invalid`),
  fc.domain().map((d) => `nx-${d}`),
  fc.domain().map((d) => `other-${d}`),
);

/** True unless `url` could make the gateway dial something other than the mirror's port on loopback. */
function staysHome(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return true; // refused before any connection
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return true;
  const host = parsed.hostname.replace(/^\[|\]$/g, "");
  const literal = /^[\d.]+$/.test(host) || host.includes(":");
  if (literal && !isLoopbackAddress(host)) return false;
  return parsed.port === mirrorPort;
}

describe("register_app over arbitrary URLs", () => {
  it("answers 2xx, 400 INVALID_APP_URL, 403 UPSTREAM_NOT_ALLOWED or 502 UPSTREAM_UNREACHABLE (a name that does not resolve), never a 500", async () => {
    const ports = fc.constantFrom(
      `:${mirrorPort}`,
      `:${mirrorPort}`,
      `:${mirrorPort}`,
      ":",
      ":abc",
      ":99999",
    );
    const urls = appUrl(hosts, ports).filter(staysHome);
    await fc.assert(
      fc.asyncProperty(urls, async (url) => {
        const reply = await postJson(`${gw.url}/register_app`, { name: "prop", url });
        const body = reply.json() as { url?: string };
        if (reply.status === 200) {
          expect(new URL(String(body.url)).port).toBe(mirrorPort);
          return;
        }
        expect([
          [400, "INVALID_APP_URL"],
          [403, "UPSTREAM_NOT_ALLOWED"],
          [502, "UPSTREAM_UNREACHABLE"],
        ]).toContainEqual([reply.status, errorCode(body)]);
      }),
      RUNS,
    );
    await expectAvailable();
  });
});

/** Extra pieces only a raw socket can send: bytes any HTTP client would refuse or encode. */
const rawTail = fc
  .array(fc.oneof(pathTail, fc.constantFrom(" ", "\t", "\u007f", "%20", "%09")), { maxLength: 3 })
  .map((parts) => parts.join(""));

describe("forwarding over arbitrary request targets", () => {
  it("answers 4xx with a code, or forwards a path that stays inside the app's base path", async () => {
    // Mostly what the HTTP parser accepts (printable ASCII), so that most runs reach the
    // forwarder's own path rule; raw bytes the parser refuses in a fifth of them.
    const ascii = pathTail.filter((t) => /^[\x21-\x7e]*$/.test(t));
    const targets = fc.oneof(
      { weight: 3, arbitrary: ascii.map((t) => `/m/${t}`) },
      { weight: 1, arbitrary: ascii.map((t) => `/m${t}`) },
      { weight: 1, arbitrary: rawTail.map((t) => `/m/${t}`) },
    );
    await fc.assert(
      fc.asyncProperty(
        targets,
        fc.constantFrom("GET", "POST", "DELETE"),
        async (target, method) => {
          const before = mirror.received.length;
          const request = Buffer.from(
            `${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`,
            "utf8",
          );
          const reply = await exchange(gw.url, request);
          const arrived = mirror.received.slice(before);
          if (reply.status === 200) {
            expect(arrived).toHaveLength(1);
            const forwarded = Buffer.from(arrived[0]!.url, "latin1").toString("utf8");
            expect(escapeOf(forwarded, "/base"), forwarded).toBeUndefined();
            return;
          }
          expect(arrived).toEqual([]);
          expect(reply.status).toBeGreaterThanOrEqual(400);
          expect(reply.status).toBeLessThan(500);
          expect(reply.code).toMatch(/^[A-Z_]+$/);
        },
      ),
      RUNS,
    );
    await expectAvailable();
  });
});
