/**
 * A Gateway served in-process for push tests: it records the requests fastify routes, keeps the
 * sockets of its `/events` streams (a test drops one), restarts on the same port with the same
 * registry, and can hold `list_apps_with_schemas` replies (a stale refresh). Closed by `await using`.
 */
import type { Socket } from "node:net";
import { Gateway } from "../../src/gateway/gateway.js";
import type { GatewayOptions } from "../../src/gateway/gateway.js";
import type { GatewayChange, GatewayClient } from "../../src/gateway/gateway-client.js";
import { MemoryFeedRegistry } from "../../src/registry/memory/memory-registry.js";
import type { ConnectOptions } from "../../src/service/service.js";
import type { ServedService } from "../../src/service/serve.js";

/** A list reply held back until `release()`. */
export interface HeldList {
  /** Resolves once a reply, already computed, is held. */
  arrived: Promise<void>;
  release(): void;
}

/** A served gateway that survives restarts (same port, same registry). */
export interface PushGateway extends AsyncDisposable {
  url: string;
  registry: MemoryFeedRegistry;
  /** The gateway serving now. */
  service: Gateway;
  /** `METHOD url` of every request routed, across restarts. */
  requests: string[];
  /** Sockets of the `/events` requests seen so far. */
  eventSockets: Socket[];
  /** Closes the gateway: its streams end. */
  stop(): Promise<void>;
  /** Serves a new Gateway on the same port (with `registry`, the same one by default). */
  start(registry?: MemoryFeedRegistry): Promise<void>;
  /** Holds the next `list_apps_with_schemas` reply; `stripRevision` plays an older gateway. */
  holdList(options?: { stripRevision?: boolean }): HeldList;
  /** Connects a client, closed with the gateway. */
  connect(options?: ConnectOptions): Promise<GatewayClient>;
}

/** Serves a gateway on a free port. */
export async function startPushGateway(options: GatewayOptions = {}): Promise<PushGateway> {
  const requests: string[] = [];
  const eventSockets: Socket[] = [];
  const clients: GatewayClient[] = [];
  let hold: { held: HeldList; strip: boolean; gate: Promise<void>; arrive(): void } | undefined;
  let port = 0;
  let served: ServedService | undefined;
  const stack: PushGateway = {
    url: "",
    registry: new MemoryFeedRegistry(),
    service: undefined as unknown as Gateway,
    requests,
    eventSockets,
    async stop() {
      await served?.close(); // idempotent
    },
    async start(registry = stack.registry) {
      stack.registry = registry;
      const service = new Gateway({ ...options, registry });
      service.app.addHook("onRequest", (request, _reply, done) => {
        requests.push(`${request.method} ${request.url}`);
        done();
      });
      service.app.addHook("onSend", async (request, _reply, payload) => {
        const current = hold;
        if (!current || request.url !== "/list_apps_with_schemas") return payload;
        hold = undefined;
        current.arrive();
        await current.gate;
        if (!current.strip) return payload;
        const { revision: _dropped, ...rest } = JSON.parse(String(payload));
        return JSON.stringify(rest);
      });
      served = await service.serve({ host: "127.0.0.1", port });
      service.app.server.on("request", (req) => {
        if (req.url?.startsWith("/events")) eventSockets.push(req.socket);
      });
      port = Number(new URL(served.url).port);
      stack.url = served.url;
      stack.service = service;
    },
    holdList({ stripRevision = false } = {}): HeldList {
      let arrive!: () => void;
      let release!: () => void;
      const arrived = new Promise<void>((resolve) => (arrive = resolve));
      const gate = new Promise<void>((resolve) => (release = resolve));
      const held = { arrived, release };
      hold = { held, strip: stripRevision, gate, arrive };
      return held;
    },
    async connect(connectOptions?: ConnectOptions) {
      const client = await Gateway.connect(stack.url, connectOptions);
      clients.push(client);
      return client;
    },
    async [Symbol.asyncDispose]() {
      hold?.arrive();
      await Promise.all(clients.map((c) => c.close()));
      await stack.stop();
    },
  };
  await stack.start();
  return stack;
}

/** Collects every change a client pushes, and waits for one that matches. */
export function watchChanges(gw: GatewayClient): {
  seen: GatewayChange[];
  until(match: (change: GatewayChange) => boolean): Promise<GatewayChange>;
} {
  const seen: GatewayChange[] = [];
  const waiters: { match: (c: GatewayChange) => boolean; resolve(c: GatewayChange): void }[] = [];
  gw.on("change", (change) => {
    seen.push(change);
    for (const w of waiters.filter((w) => w.match(change))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(change);
    }
  });
  return {
    seen,
    until: (match) =>
      new Promise((resolve) => {
        const found = seen.find(match);
        if (found) resolve(found);
        else waiters.push({ match, resolve });
      }),
  };
}
