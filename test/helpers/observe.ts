/**
 * Observers on a real service: requests it received, the bodies its handlers were given, sockets
 * it accepted. Hooks go on `service.app` before serving; nothing of the stack is replaced.
 */
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import type { Service } from "../../src/service/service.js";
import type { Running } from "./fixtures.js";

/** A live count. */
export interface Counter {
  readonly count: number;
}

/** Counts every request `service` receives (call before serving). */
export function countRequests(service: Service): Counter {
  const counter = { count: 0 };
  service.app.addHook("onRequest", (_request, _reply, done) => {
    counter.count++;
    done();
  });
  return counter;
}

/** Records the parsed body of every request to `path`, as received (call before serving). */
export function recordBodies(service: Service, path: string): unknown[] {
  const bodies: unknown[] = [];
  service.app.addHook("preHandler", (request, _reply, done) => {
    if (request.url === path) bodies.push(request.body);
    done();
  });
  return bodies;
}

/** Counts the TCP connections a served service accepts from now on. */
export function countConnections(running: Running<Service>): Counter {
  const counter = { count: 0 };
  running.service.app.server.on("connection", () => counter.count++);
  return counter;
}

/** A loopback URL where nothing listens (a port the OS just handed out and took back). */
export async function deadUrl(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
