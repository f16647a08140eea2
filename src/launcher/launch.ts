/**
 * launch(): start a service class in its own Node process and wait until it is ready. Spawns
 * without a shell, refuses a URL that already answers, and rejects with the child's last stderr
 * lines when it dies or misses the deadline.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ClientBuilder } from "../client/connect.js";
import { InvalidOptionsError, LaunchError } from "../errors.js";
import { baseUrl, resolveListenAddress } from "../service/listen-address.js";
import type { ServiceOptions } from "../service/options.js";
import type { SelfRegistrationOptions } from "../service/self-registration.js";
import { childEnvironment, refuseUnsharedRegistry } from "./child-env.js";
import type { ChildConfig, ChildRegistration } from "./config.js";
import type { LaunchableClass } from "./launchable.js";
import { findFreePort } from "./ports.js";
import { toModuleSpecifier } from "./module-specifier.js";
import { ChildServiceProcess } from "./process.js";
import { refuseIfAnswering, waitUntilReady } from "./readiness.js";

/**
 * Options of `launch()`. With `gateway` and `name` the launched service registers itself there
 * (see `SelfRegistrationOptions`) and `launch()` resolves once it is registered.
 */
export interface LaunchOptions extends Partial<
  Omit<SelfRegistrationOptions, "advertiseUrl" | "onRegistrationWarning">
> {
  /** Where the service listens, e.g. `http://127.0.0.1:8080` (default: a free port on 127.0.0.1). */
  url?: string | URL;
  host?: string;
  port?: number;
  /** Milliseconds to wait until the service is ready (30 s). */
  timeout?: number;
  /**
   * Worker processes sharing the port through node:cluster (1). A Gateway takes several only
   * with a shared registry (`sqlite:` or `redis://`), which every worker opens on its own.
   */
  numWorkers?: number;
  /**
   * A Gateway's registry URL (`sqlite:///abs/path.db`, `redis://host:port/db`; default
   * `serviceOptions.registry`, then `$PORTICO_REGISTRY`, then `memory://`). It reaches the child
   * as `$PORTICO_REGISTRY`, never on its command line: a Redis URL may carry a password.
   */
  registry?: string;
  /** Extra environment variables for the child. */
  env?: Record<string, string>;
  /**
   * The service's admin token, handed to the child as `$PORTICO_ADMIN_TOKEN` (never on its
   * command line); the client `launch()` returns sends it, so `shutdown()` works.
   */
  adminToken?: string;
  /** The service's caller token, handed to the child as `$PORTICO_CALL_TOKEN`. */
  callToken?: string;
  /** The gateway's admin token for self-registration, handed over as `$PORTICO_GATEWAY_TOKEN`. */
  gatewayToken?: string;
  /** The URL the gateway reaches the service at (default: the URL it listens at). */
  advertiseUrl?: string;
  /**
   * Module exporting the class: a URL, a file path or a package specifier (`portico/samples`);
   * default: the class's `static moduleUrl`.
   */
  module?: string | URL;
  /** Export name in that module (default: the class name). */
  exportName?: string;
  /**
   * Constructor options for the service; must be JSON-serialisable. Tokens found here travel
   * through the environment like `adminToken` and `callToken`, never in the JSON.
   */
  serviceOptions?: Omit<ServiceOptions, "id" | "pidFile"> & Record<string, unknown>;
  /** The child's stdout and stderr: kept for error messages (`pipe`, default) or shown (`inherit`). */
  output?: "pipe" | "inherit";
  /** Folder of PID files (`$PORTICO_PID_DIR` or `<tmpdir>/portico/pids`). */
  pidDir?: string;
}

/** A launched service: where it answers and its process. */
export interface LaunchedService {
  url: string;
  process: ChildServiceProcess;
  pidFile: string;
  id: string;
  /**
   * The token a client of this service should send: the child's admin token, else its caller
   * token (as given, or inherited from this process's environment); undefined when it has none.
   */
  token: string | undefined;
}

/** Starts `cls` in a child process and resolves once it is ready. */
export async function launchService(
  cls: LaunchableClass,
  options: LaunchOptions = {},
): Promise<LaunchedService> {
  const numWorkers = options.numWorkers ?? 1;
  if (!Number.isInteger(numWorkers) || numWorkers < 1 || numWorkers > 64) {
    throw new InvalidOptionsError(`numWorkers must be an integer from 1 to 64, not ${numWorkers}`);
  }
  const module = resolveModule(cls, options.module);
  const registration = registrationOf(options);
  const { env, serviceOptions } = childEnvironment(options);
  if (cls.isGateway && numWorkers > 1) {
    refuseUnsharedRegistry(cls.name, numWorkers, env.PORTICO_REGISTRY);
  }
  const listenAt = resolveListenAddress(options);
  const port = listenAt.port === 0 ? await findFreePort(listenAt.host) : listenAt.port;
  const url = baseUrl(listenAt.host, port);
  await refuseIfAnswering(url);

  const id = randomUUID();
  const pidDir = options.pidDir ?? process.env.PORTICO_PID_DIR ?? join(tmpdir(), "portico", "pids");
  mkdirSync(pidDir, { recursive: true });
  const pidFile = join(pidDir, `${cls.name}_${id}_pid.txt`);
  const config: ChildConfig = {
    module,
    exportName: options.exportName ?? cls.name,
    host: listenAt.host,
    port,
    id,
    pidFile,
    numWorkers,
    serviceOptions,
    ...(registration ? { registration } : {}),
  };
  const child = spawnChild(config, env, options.output);
  try {
    await waitUntilReady({ url, child, timeout: options.timeout ?? 30_000, name: cls.name });
  } catch (error) {
    await child.stop(2_000);
    throw error;
  }
  child.detachFromEventLoop();
  const token = env.PORTICO_ADMIN_TOKEN || env.PORTICO_CALL_TOKEN || undefined;
  return { url, process: child, pidFile, id, token };
}

/**
 * Launches `cls` and builds its client with `build` (the class decides which kind); the process
 * is stopped again when the client cannot be built.
 */
export async function launchClient<C>(
  cls: LaunchableClass,
  options: LaunchOptions,
  build: ClientBuilder<C>,
): Promise<C> {
  const launched = await launchService(cls, options);
  try {
    return await build({
      url: launched.url,
      process: launched.process,
      // The child's admin (else caller) token, from the options or inherited: shutdown() needs it.
      token: launched.token,
    });
  } catch (error) {
    await launched.process.stop(2_000);
    throw error;
  }
}

/** The child's self-registration settings (its token goes through the environment). */
function registrationOf(options: LaunchOptions): ChildRegistration | undefined {
  const { gateway, name } = options;
  if (gateway === undefined && name === undefined) return undefined;
  if (gateway === undefined || name === undefined) {
    throw new InvalidOptionsError(
      "Self-registration needs both `gateway` (the gateway's URL) and `name` (the app name)",
    );
  }
  return Object.fromEntries(
    Object.entries({
      gateway: String(gateway),
      name,
      leaseMs: options.leaseMs,
      advertiseUrl: options.advertiseUrl,
      registrationTimeout: options.registrationTimeout,
    }).filter(([, value]) => value !== undefined),
  ) as ChildRegistration;
}

function resolveModule(cls: LaunchableClass, module: string | URL | undefined): string {
  const source = module ?? cls.moduleUrl;
  if (!source) {
    throw new LaunchError(
      `Cannot launch ${cls.name}: add \`static moduleUrl = import.meta.url\` to the class or pass launch({ module })`,
    );
  }
  return toModuleSpecifier(String(source));
}

function childEntry(): string {
  const here = fileURLToPath(import.meta.url);
  return join(here, "..", here.endsWith(".ts") ? "child-entry.ts" : "child-entry.js");
}

function spawnChild(
  config: ChildConfig,
  env: NodeJS.ProcessEnv,
  output: LaunchOptions["output"],
): ChildServiceProcess {
  const entry = childEntry();
  // TypeScript sources (tests, dev) run through tsx; built code runs on plain Node.
  const needsTsx = entry.endsWith(".ts") || /\.[mc]?ts$/.test(config.module);
  const execArgv = needsTsx ? ["--import", "tsx"] : [];
  const out = output === "inherit" ? "inherit" : "pipe";
  const child = spawn(process.execPath, [...execArgv, entry, JSON.stringify(config)], {
    stdio: ["ignore", out === "inherit" ? "inherit" : "ignore", "pipe", "ipc"],
    env,
    windowsHide: true,
  });
  const managed = new ChildServiceProcess(child);
  if (out === "inherit") child.stderr?.on("data", (chunk: string) => process.stderr.write(chunk));
  return managed;
}
