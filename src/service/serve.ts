/**
 * Runs a service's HTTP server in the current process, registered with a gateway while it serves
 * when told one (`gateway` and `name`).
 */
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import { AlreadyRunningError, InvalidOptionsError } from "../errors.js";
import { resolveListenAddress } from "./listen-address.js";
import type { ListenAt } from "./listen-address.js";
import { SelfRegistration } from "./self-registration.js";
import type { RegistrationInfo, SelfRegistrationOptions } from "./self-registration.js";

export { resolveListenAddress } from "./listen-address.js";

/**
 * Where to listen, and optionally the gateway to register with (`gateway` and `name` together;
 * `serve()` then resolves once the gateway has the instance).
 */
export interface ServeOptions extends ListenAt, Partial<SelfRegistrationOptions> {}

/** A running in-process server. */
export interface ServedService {
  /** Base URL, e.g. `http://127.0.0.1:39123`. */
  readonly url: string;
  readonly port: number;
  /** The gateway registration, when serving with `gateway` and `name`. */
  readonly registration?: RegistrationInfo;
  /** Unregisters from the gateway (if registered), then stops gracefully; idempotent. */
  close(): Promise<void>;
  /** Resolves when the server has closed, by `close()` or by the `shutdown` endpoint. */
  readonly closed: Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** What `listen` needs of a service: its fastify app, and what to release once it closed. */
export interface ListeningService {
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

/** Listens, registers with the gateway when asked, and returns the handle. */
export async function listen(
  service: ListeningService,
  options: ServeOptions,
): Promise<ServedService> {
  const { host, port } = resolveListenAddress(options);
  const registering = registrationOptions(options);
  // Checked before listening: bad registration options must not leave a server behind.
  const registration = registering && new SelfRegistration(registering);
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
  const url = `http://${hostPart}:${address.port}`;
  let closing: Promise<void> | undefined;
  let markClosed!: () => void;
  const closed = new Promise<void>((resolve) => (markClosed = resolve));
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      try {
        // Off the gateway first, while this server still answers the calls already routed here.
        await registration?.stop();
        await app.close();
      } finally {
        await service.close();
        markClosed();
      }
    })());
  if (registration) {
    try {
      await registration.start(url);
    } catch (error) {
      await close();
      throw error;
    }
  }
  return {
    url,
    port: address.port,
    ...(registration ? { registration } : {}),
    close,
    closed,
    [Symbol.asyncDispose]: close,
  };
}

/** The registration options, when `gateway` and `name` are given (one without the other is refused). */
function registrationOptions(options: ServeOptions): SelfRegistrationOptions | undefined {
  const { gateway, name } = options;
  if (gateway === undefined && name === undefined) return undefined;
  if (gateway === undefined || name === undefined) {
    throw new InvalidOptionsError(
      "Self-registration needs both `gateway` (the gateway's URL) and `name` (the app name)",
      { data: { gateway: gateway === undefined ? undefined : String(gateway), name } },
    );
  }
  return { ...options, gateway, name };
}
