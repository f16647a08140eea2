/**
 * Where a service listens: host and port from `serve()` and `launch()` options, checked once, and
 * the base URL a listening address is reached at.
 */
import { InvalidOptionsError } from "../errors.js";
import { isValidListenHost } from "../net/address.js";
import { parseHttpUrl } from "../net/url.js";

/** Where to listen: an interface and a port, or a URL naming both. */
export interface ListenAt {
  /** Interface to bind (127.0.0.1). */
  host?: string;
  /** Port (0: a free one). */
  port?: number;
  /** Alternative to host+port, e.g. `http://127.0.0.1:8080`. */
  url?: string | URL;
}

/** Resolves host and port from listen options. */
export function resolveListenAddress(options: ListenAt): { host: string; port: number } {
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

/** `http://<host>:<port>`, an IPv6 host in brackets. */
export function baseUrl(host: string, port: number): string {
  return `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
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
