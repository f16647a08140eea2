/**
 * launch(): start a service class in its own Node process and wait until it is Available.
 * Spawns without a shell, refuses a URL that already answers, and rejects with the child's last
 * stderr lines when it dies or misses the deadline.
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { HttpTransport, assertToken } from "../client/transport.js";
import {
  AlreadyRunningError,
  InvalidOptionsError,
  LaunchError,
  LaunchTimeoutError,
  PorticoError,
} from "../errors.js";
import { resolveListenAddress } from "../service/serve.js";
import type { ServiceClass, ServiceOptions } from "../service/service.js";
import type { ChildConfig } from "./config.js";
import { findFreePort } from "./ports.js";
import { toModuleSpecifier } from "./module-specifier.js";
import { ChildServiceProcess } from "./process.js";

/** Options of `launch()`. */
export interface LaunchOptions {
  /** Where the service listens, e.g. `http://127.0.0.1:8080` (default: a free port on 127.0.0.1). */
  url?: string | URL;
  host?: string;
  port?: number;
  /** Milliseconds to wait for Available (30 s). */
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

const POLL_MS = 25;

/** Starts `cls` in a child process and resolves once its `status` answers Available. */
export async function launchService(
  cls: ServiceClass,
  options: LaunchOptions = {},
): Promise<LaunchedService> {
  const numWorkers = options.numWorkers ?? 1;
  if (!Number.isInteger(numWorkers) || numWorkers < 1 || numWorkers > 64) {
    throw new InvalidOptionsError(`numWorkers must be an integer from 1 to 64, not ${numWorkers}`);
  }
  const module = resolveModule(cls, options.module);
  const { env, serviceOptions } = childEnvironment(options);
  if (cls.isGateway && numWorkers > 1) {
    refuseUnsharedRegistry(cls.name, numWorkers, env.PORTICO_REGISTRY);
  }
  const listenAt = resolveListenAddress(options);
  const port = listenAt.port === 0 ? await findFreePort(listenAt.host) : listenAt.port;
  const url = `http://${listenAt.host.includes(":") ? `[${listenAt.host}]` : listenAt.host}:${port}`;
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
  };
  const child = spawnChild(config, env, options.output);
  try {
    await waitUntilReady({
      url,
      child,
      timeout: options.timeout ?? 30_000,
      name: cls.name,
      allWorkers: numWorkers > 1,
    });
  } catch (error) {
    await child.stop(2_000);
    throw error;
  }
  child.detachFromEventLoop();
  const token = env.PORTICO_ADMIN_TOKEN || env.PORTICO_CALL_TOKEN || undefined;
  return { url, process: child, pidFile, id, token };
}

/**
 * The child's environment, with the tokens in it, and its service options without them: a token
 * in the JSON configuration would show in `ps` and `/proc/<pid>/cmdline` to every local user.
 */
function childEnvironment(options: LaunchOptions): {
  env: NodeJS.ProcessEnv;
  serviceOptions: Record<string, unknown>;
} {
  const { adminToken, callToken, registry, ...serviceOptions } = options.serviceOptions ?? {};
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  const registryUrl = checkedRegistryUrl(options.registry ?? registry);
  if (registryUrl !== undefined) env.PORTICO_REGISTRY = registryUrl;
  const tokens = {
    PORTICO_ADMIN_TOKEN: options.adminToken ?? adminToken,
    PORTICO_CALL_TOKEN: options.callToken ?? callToken,
  };
  for (const [name, token] of Object.entries(tokens)) {
    if (token === undefined) continue;
    assertToken(token, name === "PORTICO_ADMIN_TOKEN" ? "adminToken" : "callToken");
    env[name] = token;
  }
  return { env, serviceOptions };
}

/** The registry option of a launch: a URL (a Registry instance cannot cross into a process). */
function checkedRegistryUrl(registry: unknown): string | undefined {
  if (registry === undefined || (typeof registry === "string" && registry !== "")) return registry;
  throw new InvalidOptionsError(
    "A launched gateway's registry must be a URL (sqlite:..., redis://...): a Registry instance cannot cross into another process",
  );
}

/**
 * A gateway with several workers needs a registry they share: with `memory://` (or a private
 * `sqlite::memory:`) each worker would hold its own apps, and an app registered through one
 * worker would come and go between calls as the primary hands connections to the others.
 */
function refuseUnsharedRegistry(
  name: string,
  numWorkers: number,
  registry: string | undefined,
): void {
  const url = registry === undefined || registry === "" ? "memory://" : registry;
  if (!/^memory:/i.test(url) && !/^sqlite::memory:$/i.test(url)) return;
  throw new InvalidOptionsError(
    `${name} is a Gateway: with several workers it needs a registry they share (sqlite:<file> or redis://host:port/db), not ${url}: each worker would hold its own in-memory registry and see only the apps registered through it`,
    { data: { numWorkers, registry: url } },
  );
}

function resolveModule(cls: ServiceClass, module: string | URL | undefined): string {
  const source = module ?? cls.moduleUrl;
  if (!source) {
    throw new LaunchError(
      `Cannot launch ${cls.name}: add \`static moduleUrl = import.meta.url\` to the class or pass launch({ module })`,
    );
  }
  return toModuleSpecifier(String(source));
}

// The probes call `status`, which stays public, and send no token (not even $PORTICO_TOKEN):
// whatever answers at the URL before the child does may not be ours.
const PROBE = { connections: 1, token: "" };

async function refuseIfAnswering(url: string): Promise<void> {
  const transport = new HttpTransport(url, PROBE);
  try {
    const reply = await transport.send("POST", "/status", undefined, { timeout: 2_000 });
    throw new AlreadyRunningError(`Something already answers at ${url} (HTTP ${reply.status})`, {
      data: { url, status: reply.status, body: reply.body },
    });
  } catch (error) {
    if (error instanceof PorticoError && error.code === "SERVICE_UNAVAILABLE") return;
    if (error instanceof PorticoError && error.code === "REQUEST_TIMEOUT") {
      throw new AlreadyRunningError(`Something accepts connections at ${url} but does not answer`);
    }
    throw error;
  } finally {
    await transport.close();
  }
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

interface ReadinessCheck {
  url: string;
  child: ChildServiceProcess;
  timeout: number;
  name: string;
  /** Several workers: the first to listen answers `status`, so also wait for the primary's word. */
  allWorkers: boolean;
}

/** Resolves once `status` answers Available (and, with workers, once every worker listens). */
async function waitUntilReady({
  url,
  child,
  timeout,
  name,
  allWorkers,
}: ReadinessCheck): Promise<void> {
  const transport = new HttpTransport(url, PROBE);
  const deadline = Date.now() + timeout;
  let available = false;
  try {
    while (Date.now() < deadline) {
      if (!child.running) throw await exitError(name, url, child);
      available ||= await answersAvailable(transport);
      if (available && (!allWorkers || child.workersReady)) return;
      await Promise.race([new Promise((r) => setTimeout(r, POLL_MS)), child.exited]);
    }
    const stderr = child.stderrTail();
    throw new LaunchTimeoutError(
      `${name} did not become Available at ${url} within ${timeout} ms${formatTail(stderr)}`,
      { data: { url, stderr } },
    );
  } finally {
    await transport.close();
  }
}

async function answersAvailable(transport: HttpTransport): Promise<boolean> {
  try {
    const reply = await transport.send("POST", "/status", undefined, { timeout: 1_000 });
    return (reply.body as { status?: string } | undefined)?.status === "Available";
  } catch (error) {
    if (error instanceof PorticoError && error.retryable) return false;
    throw error;
  }
}

async function exitError(
  name: string,
  url: string,
  child: ChildServiceProcess,
): Promise<LaunchError> {
  const how = child.exitSignal ? `signal ${child.exitSignal}` : `code ${child.exitCode}`;
  const stderr = await child.finalStderrTail();
  return new LaunchError(
    `${name} exited with ${how} before answering at ${url}${formatTail(stderr)}`,
    {
      data: { url, exitCode: child.exitCode, signal: child.exitSignal, stderr },
    },
  );
}

function formatTail(stderr: string[]): string {
  const tail = stderr.filter((l) => l.trim() !== "").slice(-10);
  return tail.length ? `; last stderr lines:\n${tail.join("\n")}` : "";
}
