/**
 * `portico gateway`: serves a Gateway until SIGINT/SIGTERM or a call to its shutdown endpoint: in
 * this process, or with `--workers N` as a launched group of N processes sharing the port (and a
 * registry: `--state <file>` or `--registry redis://...`).
 */
import { resolve } from "node:path";
import { Option } from "commander";
import type { Command } from "commander";
import { Gateway, InvalidOptionsError, LaunchError } from "../../index.js";
import type { GatewayOptions } from "../../index.js";
import type { CliIo } from "../io.js";
import { addLogOption, inProcessLogger, workerLogger } from "../log-options.js";
import type { LogFlags } from "../log-options.js";
import { addListenOptions, examples, integerIn, parseMs } from "../options.js";
import { launchWorkers, serveInProcess } from "../run-server.js";
import {
  addGatewayLimitOptions,
  addSecurityOptions,
  gatewayOptionsFrom,
} from "../security-options.js";
import type { GatewayFlags } from "../security-options.js";

/** What `gateway` parses its flags into. */
export interface GatewayCommandOptions extends GatewayFlags, LogFlags {
  host: string;
  port: number;
  upstreamTimeout: number;
  discoveryTimeout: number;
  registry?: string;
  state?: string;
  workers?: number;
  healthInterval?: number;
  healthTimeout?: number;
  /** false with --no-health-checks. */
  healthChecks?: boolean;
  /** false with --no-ejection. */
  ejection?: boolean;
  balance?: "least-in-flight" | "round-robin";
  /** false with --no-console. */
  console?: boolean;
}

/** The examples of `gateway --help`. */
export const GATEWAY_EXAMPLES = [
  "portico gateway --port 8000",
  "portico gateway --port 8000 --state ./portico.db --workers 2",
  "portico gateway --port 8000 --registry redis://127.0.0.1:6379/0",
  "portico register echoer http://127.0.0.1:8080 --gateway http://127.0.0.1:8000",
  "PORTICO_ADMIN_TOKEN=$(cat admin.token) portico gateway --host 0.0.0.0 --allowed-host gw.example.com --allow-upstream 10.0.0.0/8",
];

/** The registry URLs `--registry` accepts (the value itself is never echoed: it may hold a password). */
const REGISTRY_URL = /^(memory:(\/\/)?|sqlite:.+|rediss?:\/\/.+)$/i;

/** The GatewayOptions the parsed flags of `gateway` stand for. */
export function gatewayCommandOptions(options: GatewayCommandOptions): GatewayOptions {
  const registry = registryFrom(options);
  const health =
    options.healthChecks === false
      ? false
      : options.healthInterval === undefined && options.healthTimeout === undefined
        ? undefined
        : {
            ...(options.healthInterval !== undefined ? { intervalMs: options.healthInterval } : {}),
            ...(options.healthTimeout !== undefined ? { timeoutMs: options.healthTimeout } : {}),
          };
  return {
    ...gatewayOptionsFrom(options),
    upstreamTimeout: options.upstreamTimeout,
    discoveryTimeout: options.discoveryTimeout,
    ...(health !== undefined ? { health } : {}),
    ...(options.ejection === false ? { passiveHealth: false as const } : {}),
    ...(options.balance !== undefined ? { balance: options.balance } : {}),
    ...(options.console === false ? { console: false } : {}),
    ...(registry === undefined ? {} : { registry }),
  };
}

/**
 * The registry URL the flags name: `--state <file>` stands for `sqlite:` and the file's absolute
 * path (so every worker opens the same file); undefined leaves `$PORTICO_REGISTRY` or memory.
 */
export function registryFrom(
  flags: Pick<GatewayCommandOptions, "registry" | "state">,
): string | undefined {
  if (flags.state !== undefined) {
    if (flags.registry !== undefined) {
      throw new InvalidOptionsError(
        "--state and --registry both name a registry: give one of them",
      );
    }
    return `sqlite://${resolve(flags.state).replace(/%/g, "%25")}`;
  }
  if (flags.registry !== undefined) checkRegistryUrl(flags.registry, "--registry");
  return flags.registry;
}

function checkRegistryUrl(url: string, what: string): void {
  if (REGISTRY_URL.test(url)) return;
  throw new InvalidOptionsError(
    `${what} must be memory://, sqlite:<file> (sqlite:///abs/path.db, sqlite:./rel.db) or redis://host:port/db`,
  );
}

/** Adds the `gateway` command to `program`. */
export function registerGateway(program: Command, io: CliIo): void {
  const command = program
    .command("gateway")
    .summary("serve a Gateway")
    .description(
      "Serve a Gateway: apps register with it and it forwards /<app>/<path> to them. " +
        "Registrations live in its registry: in memory by default (lost when it stops), in a " +
        "SQLite file with --state (they survive restarts), or in Redis with --registry (shared by " +
        "every gateway on that Redis). Runs until SIGINT/SIGTERM or a call to its shutdown " +
        "endpoint. Prints 'Serving Gateway at <url>'.",
    );
  addListenOptions(command)
    .option(
      "--registry <url>",
      "where registrations live: memory:// (default), sqlite:<file> or redis://host:port/db " +
        "(default: $PORTICO_REGISTRY)",
    )
    .option("--state <file>", "keep registrations in this SQLite file (--registry sqlite:<file>)")
    .option(
      "--workers <n>",
      "processes sharing the port (node:cluster); more than 1 needs --state or --registry",
      integerIn(1, 64),
      1,
    )
    .option(
      "--upstream-timeout <ms>",
      "milliseconds an app may take to answer a forwarded call (then 504 UPSTREAM_TIMEOUT)",
      parseMs,
      30_000,
    )
    .option(
      "--discovery-timeout <ms>",
      "milliseconds to fetch an app's detailed_endpoints when it registers",
      parseMs,
      5_000,
    )
    .option(
      "--health-interval <ms>",
      "milliseconds between two active checks of one instance (5000)",
      parseMs,
    )
    .option("--health-timeout <ms>", "milliseconds an active check may take (1000)", parseMs)
    .option("--no-health-checks", "no active checks (instances stay healthy unless ejected)")
    .option("--no-ejection", "no passive ejection after failed calls in a row")
    .option("--no-console", "no web console at /console")
    .addOption(
      new Option(
        "--balance <strategy>",
        "how calls spread over an app's instances (default: least-in-flight)",
      ).choices(["least-in-flight", "round-robin"]),
    );
  addLogOption(addGatewayLimitOptions(addSecurityOptions(command)))
    .addHelpText("after", examples(...GATEWAY_EXAMPLES))
    .action(async (options: GatewayCommandOptions) => {
      const gatewayOptions = gatewayCommandOptions(options);
      const at = { host: options.host, port: options.port };
      const workers = options.workers ?? 1;
      if (workers === 1) {
        await serveInProcess(
          new Gateway({ ...gatewayOptions, ...inProcessLogger(options, io) }),
          at,
          io,
        );
        return;
      }
      const { adminToken, callToken, registry, ...serviceOptions } = gatewayOptions;
      const shared = typeof registry === "string" ? registry : process.env.PORTICO_REGISTRY;
      if (shared !== undefined) checkRegistryUrl(shared, "$PORTICO_REGISTRY");
      if (shared === undefined || /^memory:|^sqlite::memory:$/i.test(shared)) {
        throw new InvalidOptionsError(
          `--workers ${workers} needs a registry the workers share: add --state <file> or ` +
            "--registry redis://host:port/db (with the in-memory registry each worker would keep " +
            "its own apps, and an app registered through one would be unknown to the others)",
        );
      }
      if (Gateway.moduleUrl === undefined) throw new LaunchError("Gateway has no moduleUrl");
      const target = { cls: Gateway, module: Gateway.moduleUrl, exportName: "Gateway" };
      // Tokens and the registry URL reach the workers through their environment, never argv.
      await launchWorkers(target, { ...at, workers }, io, {
        adminToken,
        callToken,
        registry: shared,
        serviceOptions: { ...serviceOptions, ...workerLogger(options) },
      });
    });
}
