/**
 * The two ways `serve` and `gateway` run a server until they are told to stop: in this process
 * (one worker), or as a launched process group sharing the port (several workers).
 */
import { LaunchError, ShutdownTimeoutError } from "../index.js";
import type { LaunchOptions, RegistrationInfo, Service } from "../index.js";
import { launchService } from "../launcher/launch.js";
import { untilStopOrClosed, writeLine } from "./io.js";
import type { CliIo } from "./io.js";
import type { ResolvedService } from "./service-module.js";

/** Where to listen. */
export interface ListenOptions {
  host: string;
  port: number;
}

/** The gateway a served service registers with (nothing: it does not register). */
export type Registration = Pick<
  LaunchOptions,
  "gateway" | "name" | "leaseMs" | "advertiseUrl" | "gatewayToken"
>;

/** How long a stopping server may take before its process is killed. */
const STOP_GRACE_MS = 10_000;

/**
 * Serves `service` in this process (registered with its gateway when given one), prints
 * `Serving <Class> at <url>`, and resolves once it has closed gracefully after a stop request or
 * a call to its `shutdown` endpoint (unregistered first).
 */
export async function serveInProcess(
  service: Service,
  at: ListenOptions & Registration,
  io: CliIo,
): Promise<void> {
  const name = service.constructor.name;
  let served;
  try {
    served = await service.serve(at);
  } catch (error) {
    await service.close();
    throw error;
  }
  writeLine(io.stdout, `Serving ${name} at ${served.url}`);
  const registered = served.registration;
  if (registered) writeLine(io.stdout, registeredLine(registered));
  if ((await untilStopOrClosed(io, served.closed)) === "stop") {
    writeLine(io.stderr, `Stopping ${name}...`);
  }
  await served.close();
}

/**
 * What the workers are given: tokens and a gateway's registry URL (through their environment)
 * and JSON service options.
 */
export type WorkerOptions = Pick<
  LaunchOptions,
  "adminToken" | "callToken" | "registry" | "serviceOptions"
> &
  Registration;

/**
 * Launches `target` as a process group of `workers` processes (output shown here), prints
 * `Serving <Class> at <url>`, and stops the group on a stop request. Resolves when it has exited.
 */
export async function launchWorkers(
  target: ResolvedService,
  at: ListenOptions & { workers: number },
  io: CliIo,
  options: WorkerOptions = {},
): Promise<void> {
  const { cls, module, exportName } = target;
  const launched = await launchService(cls, {
    ...options,
    host: at.host,
    port: at.port,
    numWorkers: at.workers,
    module,
    exportName,
    output: "inherit",
  });
  const child = launched.process;
  // The launcher unrefs the child so library callers may exit; the CLI must wait for it.
  const keepAlive = setInterval(() => undefined, 2 ** 31 - 1);
  try {
    writeLine(io.stdout, `Serving ${cls.name} at ${launched.url} (${at.workers} workers)`);
    if (options.gateway !== undefined && options.name !== undefined) {
      writeLine(
        io.stdout,
        registeredLine({ gateway: String(options.gateway), name: options.name }),
      );
    }
    if ((await untilStopOrClosed(io, child.exited)) === "stop") {
      writeLine(io.stderr, `Stopping ${cls.name}...`);
      if (!(await child.stop(STOP_GRACE_MS))) {
        throw new ShutdownTimeoutError(`${cls.name} did not stop within ${STOP_GRACE_MS} ms`);
      }
    } else if (child.exitCode !== 0) {
      const how = child.exitSignal ? `signal ${child.exitSignal}` : `code ${child.exitCode}`;
      throw new LaunchError(`${cls.name} exited with ${how}`, {
        data: { exitCode: child.exitCode, signal: child.exitSignal },
      });
    }
  } finally {
    clearInterval(keepAlive);
  }
}

/** `Registered <name> at <gateway> [as <url>]`: where callers find the service now. */
function registeredLine(
  registration: Pick<RegistrationInfo, "gateway" | "name"> & { url?: string },
): string {
  const as = registration.url === undefined ? "" : ` as ${registration.url}`;
  return `Registered ${registration.name} at ${registration.gateway}${as}`;
}
