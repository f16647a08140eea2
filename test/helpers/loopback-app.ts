/**
 * A plain node:http app on a chosen loopback address and port (127.0.0.2 too: Linux routes all of
 * 127/8 to lo), counting the connections it accepts as well as the requests it records, so a test
 * can show that a refused upstream was never even dialled. Closed by `await using`.
 */
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { isLoopbackAddress } from "../../src/net/address.js";
import { mirror } from "./plain-app.js";
import type { PlainHandler, ReceivedRequest } from "./plain-app.js";

/** A running loopback app. */
export interface LoopbackApp extends AsyncDisposable {
  url: string;
  host: string;
  port: number;
  /** Every request received, in order (recorded once its body has fully arrived). */
  received: ReceivedRequest[];
  /** TCP connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

/** Where to listen, and how to answer. */
export interface LoopbackAppOptions {
  /** A loopback address (127.0.0.1). Anything else is refused: tests stay on this machine. */
  host?: string;
  /** Port (0: a free one). */
  port?: number;
  /** How to answer (mirror by default). */
  handler?: PlainHandler;
}

/** Starts an app on `host:port`. */
export async function startLoopbackApp(options: LoopbackAppOptions = {}): Promise<LoopbackApp> {
  const host = options.host ?? "127.0.0.1";
  if (!isLoopbackAddress(host)) throw new Error(`Tests listen on loopback only, not ${host}`);
  const handler = options.handler ?? mirror;
  const received: ReceivedRequest[] = [];
  let connections = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.once("end", () => {
      const request: ReceivedRequest = {
        method: req.method ?? "",
        url: req.url ?? "/",
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      received.push(request);
      handler(request, res);
    });
  });
  server.on("connection", () => connections++);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return {
    url: `http://${host}:${port}`,
    host,
    port,
    received,
    get connections() {
      return connections;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

/**
 * Two apps on the same port, one on 127.0.0.1 and one on 127.0.0.2, so that one host name can
 * lead to either depending on what it resolves to. Retries when the port is taken on 127.0.0.2.
 */
export async function startTwinApps(
  first: PlainHandler,
  second: PlainHandler,
): Promise<[LoopbackApp, LoopbackApp]> {
  for (let attempt = 0; ; attempt++) {
    const one = await startLoopbackApp({ host: "127.0.0.1", handler: first });
    try {
      const two = await startLoopbackApp({ host: "127.0.0.2", port: one.port, handler: second });
      return [one, two];
    } catch (error) {
      await one.close();
      if (attempt >= 5) throw error;
    }
  }
}
