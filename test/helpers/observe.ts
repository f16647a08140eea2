/**
 * Observers on a real service: requests it received, the bodies its handlers were given, sockets
 * it accepted. Hooks go on `service.app` before serving; nothing of the stack is replaced.
 */
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { Gateway } from "../../src/gateway/gateway.js";
import type { Service } from "../../src/service/service.js";
import { serveOn } from "./fixtures.js";
import type { Running } from "./fixtures.js";
import { captureLogs } from "./log-capture.js";
import type { LogCapture } from "./log-capture.js";
import { startPlainApp } from "./plain-app.js";
import type { PlainApp, PlainHandler } from "./plain-app.js";

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

/** A gateway that logs at debug level into `logs`, with a plain app registered as "plain". */
export interface LoggedGateway {
  logs: LogCapture;
  gateway: Running<Gateway>;
  plain: PlainApp;
  close(): Promise<void>;
}

/** Starts a `LoggedGateway` whose app answers with `handler` (default: the plain routes). */
export async function startLoggedGateway(handler?: PlainHandler): Promise<LoggedGateway> {
  const logs = captureLogs();
  const gateway = await serveOn(new Gateway({ logger: logs.logger("debug") }));
  const plain = await startPlainApp(handler);
  const close = async (): Promise<void> => {
    await gateway.close();
    await plain.close();
  };
  try {
    await gateway.service.registerApp("plain", plain.url);
  } catch (error) {
    await close();
    throw error;
  }
  return { logs, gateway, plain, close };
}
