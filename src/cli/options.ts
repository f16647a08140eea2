/**
 * Argument parsers and options shared by the commands. A parser that rejects its input throws
 * commander's `InvalidArgumentError`, so every bad value is a usage error (exit code 2).
 */
import { InvalidArgumentError, Option } from "commander";
import type { Command } from "commander";
import { isValidListenHost } from "../net/address.js";
import { parseHttpUrl as parseUrl } from "../net/url.js";

/** Parses an integer within `[min, max]`. */
export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    const parsed = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
    if (!Number.isSafeInteger(parsed) || parsed < min || parsed > max) {
      throw new InvalidArgumentError(`Expected an integer from ${min} to ${max}.`);
    }
    return parsed;
  };
}

/** A TCP port (0: a free one). */
export const parsePort = integerIn(0, 65535);

/** A duration in milliseconds (1 ms to 1 hour). */
export const parseMs = integerIn(1, 3_600_000);

/** An absolute http(s) URL. */
export function parseHttpUrl(value: string): string {
  parseUrl(value, (message) => new InvalidArgumentError(`${message}.`));
  return value;
}

/** A JSON document. */
export function parseJson(value: string): unknown {
  try {
    return JSON.parse(value) as unknown;
  } catch (cause) {
    throw new InvalidArgumentError(`Not valid JSON (${(cause as Error).message}).`);
  }
}

/**
 * An interface to listen on: an IP address or a valid DNS name (`0.0.0.0.0` is neither), checked
 * as `serve()` checks it, so a typo is a usage error rather than ENOTFOUND from the resolver.
 */
export function parseHost(value: string): string {
  const host = value.replace(/^\[(.*)\]$/, "$1");
  if (!isValidListenHost(host)) {
    throw new InvalidArgumentError("Expected an IP address or a host name such as localhost.");
  }
  return host;
}

/** Adds `--host` and `--port` to a server command. */
export function addListenOptions(command: Command): Command {
  return command
    .option("--host <host>", "interface to listen on", parseHost, "127.0.0.1")
    .option("--port <port>", "port to listen on (0: a free one)", parsePort, 0);
}

/**
 * Adds the mandatory `--gateway <url>` (or `$PORTICO_GATEWAY`), `--timeout <ms>` and
 * `--token <token>` (or `$PORTICO_TOKEN`).
 */
export function addGatewayOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--gateway <url>", "gateway base URL")
        .env("PORTICO_GATEWAY")
        .argParser(parseHttpUrl)
        .makeOptionMandatory(),
    )
    .addOption(timeoutOption(10_000))
    .addOption(tokenOption());
}

/** `--token <token>` (or `$PORTICO_TOKEN`) of the client commands; never parsed nor printed. */
export function tokenOption(): Option {
  return new Option("--token <token>", "bearer token sent with every request").env("PORTICO_TOKEN");
}

/** `--timeout <ms>`: how long one call may take. */
export function timeoutOption(defaultMs: number): Option {
  return new Option("--timeout <ms>", "milliseconds a call may take")
    .argParser(parseMs)
    .default(defaultMs);
}

/** What the self-registration flags of `serve` parse into. */
export interface RegistrationFlags {
  gateway?: string;
  name?: string;
  leaseMs?: number;
  advertiseUrl?: string;
  gatewayToken?: string;
}

/**
 * Adds `--gateway`, `--name`, `--lease-ms`, `--advertise-url` and `--gateway-token` (or
 * `$PORTICO_GATEWAY_TOKEN`): a served service registers itself with that gateway. `--gateway`
 * reads no environment variable here: `$PORTICO_GATEWAY` is where client commands send, and a
 * service must not start registering itself because a shell exported it.
 */
export function addRegistrationOptions(command: Command): Command {
  return command
    .option(
      "--gateway <url>",
      "register with this gateway while serving (with --name)",
      parseHttpUrl,
    )
    .option("--name <name>", "app name to register under (with --gateway)")
    .option(
      "--lease-ms <ms>",
      "registration lease, renewed every third of it (15000)",
      integerIn(1_000, 86_400_000),
    )
    .option(
      "--advertise-url <url>",
      "URL the gateway reaches this service at (default: the served URL)",
      parseHttpUrl,
    )
    .addOption(
      new Option("--gateway-token <token>", "the gateway's admin token, for registering").env(
        "PORTICO_GATEWAY_TOKEN",
      ),
    );
}

/** An `Examples:` block for the end of a command's help. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;
}
