/**
 * The code a launched process runs: load the service class, serve it (registered with its gateway
 * when it has one), write the PID file, tell the launcher it is ready, and stop cleanly on
 * `shutdown`, SIGTERM/SIGINT, or when the launching process goes away. With several workers the
 * primary forks them through node:cluster (they share the port), holds the one registration, and
 * merges the workers' counters for `/metrics` and `app_stats` (src/observe/cluster-primary.ts).
 */
import cluster from "node:cluster";
import type { Worker } from "node:cluster";
import { rmSync, writeFileSync } from "node:fs";
import { LaunchError, PorticoError } from "../errors.js";
import { ClusterReports } from "../observe/cluster-primary.js";
import { joinCluster } from "../observe/cluster-reports.js";
import { baseUrl } from "../service/listen-address.js";
import { SelfRegistration } from "../service/self-registration.js";
import type { ServiceClass } from "../service/service.js";
import { READY_MESSAGE, childConfigSchema } from "./config.js";
import type { ChildConfig, FailedMessage } from "./config.js";
import type { ServableService } from "./launchable.js";

const SHUTDOWN_MESSAGE = "portico:shutdown";

/** Parses and checks the JSON configuration argument. */
export function parseChildConfig(arg: string | undefined): ChildConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(arg ?? "");
  } catch (cause) {
    throw new LaunchError("The launch configuration argument is not JSON", { cause });
  }
  const parsed = childConfigSchema.safeParse(raw);
  if (!parsed.success)
    throw new LaunchError(`Invalid launch configuration: ${parsed.error.message}`);
  return parsed.data;
}

/** Imports the module and returns the service class it exports under `exportName`. */
export async function loadServiceClass(
  config: Pick<ChildConfig, "module" | "exportName">,
): Promise<ServiceClass> {
  let mod: Record<string, unknown>;
  try {
    mod = (await import(config.module)) as Record<string, unknown>;
  } catch (cause) {
    throw new LaunchError(`Cannot import ${config.module}: ${(cause as Error).message}`, { cause });
  }
  const cls = mod[config.exportName] as ServiceClass | undefined;
  // Duck-typed: the module may have loaded its own copy of portico.
  if (typeof cls !== "function" || typeof (cls.prototype as ServableService).serve !== "function") {
    throw new LaunchError(
      `${config.module} has no Service subclass exported as "${config.exportName}"`,
    );
  }
  return cls;
}

/**
 * Writes why this process could not start to stderr and tells the launcher (its error code and
 * message) over IPC; resolves once that was sent (bounded), so the caller may exit.
 */
export function reportFailure(error: unknown): Promise<void> {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  if (!process.send || !(error instanceof PorticoError)) return Promise.resolve();
  const { code, message, data } = error;
  const failed: FailedMessage = { type: "portico:failed", error: { code, message, data } };
  return new Promise((resolve) => {
    setTimeout(resolve, 1_000).unref();
    process.send?.(failed, undefined, {}, () => resolve());
  });
}

/** Entry of a launched process: primary (several workers) or a single server. */
export async function runChild(config: ChildConfig): Promise<void> {
  if (config.numWorkers > 1 && cluster.isPrimary) return runPrimary(config);
  // Before the server is built: its /metrics and app_stats answer for all workers.
  if (cluster.isWorker) joinCluster();
  const cls = await loadServiceClass(config);
  const service = new cls({ ...config.serviceOptions, id: config.id, pidFile: config.pidFile });
  // Workers share the port: the primary registers the one instance they make up.
  const registration = cluster.isPrimary ? config.registration : undefined;
  const served = await service.serve({ host: config.host, port: config.port, ...registration });
  if (cluster.isPrimary) {
    writeFileSync(config.pidFile, String(process.pid));
    process.send?.(READY_MESSAGE);
  }
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await served.close();
    if (cluster.isPrimary) rmSync(config.pidFile, { force: true });
    process.exit(0);
  };
  // In a worker, `shutdown` stops the whole group: the primary takes it from there.
  service.onShutdownRequest(() =>
    cluster.isWorker ? process.send?.(SHUTDOWN_MESSAGE) : void stop(),
  );
  installStopSignals(() => void stop());
}

function runPrimary(config: ChildConfig): void {
  writeFileSync(config.pidFile, String(process.pid));
  let registration: SelfRegistration | undefined;
  let stopping = false;
  const stop = async (exitCode = 0): Promise<void> => {
    if (stopping) return;
    stopping = true;
    // Off the gateway first, while the workers still answer the calls already routed here.
    await registration?.stop();
    const workers = Object.values(cluster.workers ?? {});
    let left = workers.length;
    const done = (): void => {
      rmSync(config.pidFile, { force: true });
      process.exit(exitCode);
    };
    if (left === 0) done();
    for (const worker of workers) {
      worker?.once("exit", () => --left === 0 && done());
      worker?.kill("SIGTERM");
    }
    setTimeout(done, 10_000).unref();
  };
  const ready = async (): Promise<void> => {
    if (config.registration) {
      registration = new SelfRegistration(config.registration);
      await registration.start(baseUrl(config.host, config.port));
    }
    process.send?.(READY_MESSAGE);
  };
  let listeners = 0;
  // The workers that serve: a merge of /metrics or app_stats asks each of them for its counts.
  const serving = new Set<Worker>();
  const reports = new ClusterReports(() => serving);
  const fork = (): void => {
    const worker = cluster.fork();
    let listening = false;
    worker.once("listening", () => {
      listening = true;
      serving.add(worker);
      // The first worker to listen already answers: the group is ready when all of them do.
      if (++listeners !== config.numWorkers) return;
      ready().catch((error: unknown) => reportFailure(error).then(() => stop(1)));
    });
    worker.on("message", (message: unknown) => {
      if (message === SHUTDOWN_MESSAGE) void stop();
      else reports.onMessage(worker, message);
    });
    worker.once("exit", () => {
      serving.delete(worker);
      reports.workerExited(worker);
      if (stopping) return;
      // A worker that dies before it ever listened would die again: the group cannot start, so
      // fail (the launcher reports it) instead of forking forever. One that served is replaced.
      if (listening) fork();
      else void stop(1);
    });
  };
  for (let i = 0; i < config.numWorkers; i++) fork();
  installStopSignals(() => void stop());
}

function installStopSignals(stop: () => void): void {
  process.once("SIGTERM", stop);
  process.once("SIGINT", stop);
  // The launching process holds an IPC channel to us: when it goes away, so do we (no orphans).
  if (cluster.isPrimary) process.once("disconnect", stop);
}
