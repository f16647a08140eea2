/**
 * Runs a service's HTTP server in the current process.
 */
import { isIP } from "node:net";
import type { AddressInfo } from "node:net";
import { AlreadyRunningError, InvalidOptionsError } from "../errors.js";
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
    let url: URL;
    try {
      url = new URL(String(options.url));
    } catch (cause) {
      throw new InvalidOptionsError(`Invalid URL ${JSON.stringify(String(options.url))}`, {
        cause,
      });
    }
    if (url.protocol !== "http:")
      throw new InvalidOptionsError(`Can only serve http URLs, not ${url.href}`);
    const host = url.hostname.replace(/^\[|\]$/g, "");
    return { host: checkListenHost(host), port: Number(url.port || 80) };
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidOptionsError(`Invalid port ${String(options.port)}`);
  }
  return { host: checkListenHost(options.host ?? "127.0.0.1"), port };
}

/**
 * True for an IP address or a syntactically valid DNS name: labels of letters, digits and
 * hyphens (1 to 63 characters, no hyphen at either end), 253 characters at most, one trailing dot
 * allowed. A name whose last label is a number (`0.0.0.0.0`, `1.2.3`, `0x7f`) is refused: the
 * system resolver would read it as a mangled IPv4 address, or fail with ENOTFOUND.
 */
export function isValidListenHost(host: string): boolean {
  if (isIP(host) !== 0) return true;
  const name = host.endsWith(".") ? host.slice(0, -1) : host;
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split(".");
  if (!labels.every((label) => DNS_LABEL.test(label))) return false;
  return !NUMERIC_LABEL.test(labels[labels.length - 1] ?? "");
}

const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/i;
const NUMERIC_LABEL = /^(?:\d+|0x[0-9a-f]*)$/i;

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
