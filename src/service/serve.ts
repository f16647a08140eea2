/**
 * Runs a service's HTTP server in the current process.
 */
import type { AddressInfo } from "node:net";
import { AlreadyRunningError, InvalidOptionsError } from "../errors.js";
import { isValidListenHost } from "../net/address.js";
import { parseHttpUrl } from "../net/url.js";
import type { Service } from "./service.js";

/** Where to listen. */
export interface ServeOptions {
  /** Interface to bind (127.0.0.1). */
  host?: string;
  /** Port (0: a free one). */
  port?: number;
  /** Alternative to host+port, e.g. `http://127.0.0.1:8080`. */
  url?: string | URL;
}

/** A running in-process server. */
export interface ServedService {
  /** Base URL, e.g. `http://127.0.0.1:39123`. */
  readonly url: string;
  readonly port: number;
  /** Stops the server gracefully (in-flight requests finish); idempotent. */
  close(): Promise<void>;
  /** Resolves when the server has closed, by `close()` or by the `shutdown` endpoint. */
  readonly closed: Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Resolves host and port from serve options. */
export function resolveListenAddress(options: ServeOptions): { host: string; port: number } {
  if (options.url !== undefined) {
    const fail = (message: string, cause?: unknown): Error =>
      new InvalidOptionsError(`Cannot serve at that URL: ${message}`, { cause });
    const url = parseHttpUrl(String(options.url), fail, ["http:"]);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    return { host: checkListenHost(host), port: Number(url.port || 80) };
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidOptionsError(`Invalid port ${String(options.port)}`);
  }
  return { host: checkListenHost(options.host ?? "127.0.0.1"), port };
}

function checkListenHost(host: string): string {
  if (!isValidListenHost(host)) {
    throw new InvalidOptionsError(
      `Cannot listen on ${JSON.stringify(host.slice(0, 100))}: not an IP address or a valid host name`,
      { data: { host: host.slice(0, 100) } },
    );
  }
  return host;
}

/** Listens and returns the handle. */
export async function listen(service: Service, options: ServeOptions): Promise<ServedService> {
  const { host, port } = resolveListenAddress(options);
  const app = service.app;
  try {
    await app.listen({ host, port });
  } catch (cause) {
    if ((cause as { code?: string }).code === "EADDRINUSE") {
      throw new AlreadyRunningError(`Port ${port} on ${host} is already in use`, {
        cause,
        data: { host, port },
      });
    }
    throw cause;
  }
  const address = app.server.address() as AddressInfo;
  const hostPart = address.family === "IPv6" ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      try {
        await app.close();
      } finally {
        await service.close();
        markClosed();
      }
    })());
  return {
    url: `http://${hostPart}:${address.port}`,
    port: address.port,
    close,
    closed,
    [Symbol.asyncDispose]: close,
  };
}
