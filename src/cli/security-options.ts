/**
 * The access-policy and limit flags of `serve` and `gateway`, and their mapping onto
 * ServiceOptions / GatewayOptions. Token values (these and the client commands' `--token`) are
 * never parsed by commander, whose errors quote the value, and never printed: a bad one is
 * refused by `checkTokens` with a message that does not show it.
 */
import { isIP } from "node:net";
import { InvalidArgumentError, Option } from "commander";
import type { Command } from "commander";
import { assertToken } from "../client/transport.js";
import type { GatewayOptions, ServiceOptions } from "../index.js";
import { isValidListenHost } from "../net/address.js";
import { integerIn, parseMs } from "./options.js";

/** What the security flags parse into (commander's camelCase names). */
export interface SecurityFlags {
  adminToken?: string;
  callToken?: string;
  insecure?: boolean;
  allowedHost?: string[];
  allowedOrigin?: string[];
  trustProxy?: true | string[];
  rateLimit?: number;
  requestTimeout?: number;
  headersTimeout?: number;
  /** false with --no-mcp. */
  mcp?: boolean;
  mcpPath?: string;
  /** false with --no-docs. */
  docs?: boolean;
  /** false with --no-metrics. */
  metrics?: boolean;
}

/** What the gateway-only flags parse into. */
export interface GatewayFlags extends SecurityFlags {
  allowUpstream?: string[];
  maxBodyBytes?: number;
  discoveryMaxBytes?: number;
  connectTimeout?: number;
  maxInFlight?: number;
}

/** The server options the security flags name, tokens aside: plain JSON, for launched workers. */
export type PolicyOptions = Omit<ServiceOptions, "id" | "pidFile" | "authorize" | "logger">;

/** A byte count (1 byte to 1 TiB). */
const parseBytes = integerIn(1, 2 ** 40);

/** Adds the access-policy and server-limit flags shared by `serve` and `gateway`. */
export function addSecurityOptions(command: Command): Command {
  return command
    .addOption(
      new Option("--admin-token <token>", "bearer token for shutdown and app registration").env(
        "PORTICO_ADMIN_TOKEN",
      ),
    )
    .addOption(
      new Option("--call-token <token>", "bearer token for every call but status/heartbeat").env(
        "PORTICO_CALL_TOKEN",
      ),
    )
    .option("--insecure", "allow a non-loopback --host without an admin token")
    .option(
      "--allowed-host <host>",
      "a Host name requests may use on a non-loopback bind; '*' for any (repeatable)",
      collect(parseHostName),
    )
    .option(
      "--allowed-origin <origin>",
      "an Origin (https://ops.example) allowed to call admin endpoints (repeatable)",
      collect(parseOrigin),
    )
    .option(
      "--trust-proxy [cidrs]",
      "trust X-Forwarded-* from these comma-separated addresses/CIDRs (no value: from any peer)",
      parseCidrList,
    )
    .option(
      "--rate-limit <n>",
      "requests per minute per client (unlimited; then 429)",
      integerIn(1, 1e9),
    )
    .option(
      "--request-timeout <ms>",
      "milliseconds a client may take to send a request (30000; then 408)",
      parseMs,
    )
    .option(
      "--headers-timeout <ms>",
      "milliseconds a client may take to send the headers (10000)",
      parseMs,
    )
    .option("--no-mcp", "do not serve the MCP endpoint (tools over Streamable HTTP)")
    .option("--mcp-path <path>", "where the MCP endpoint is served (/mcp)")
    .option("--no-docs", "do not serve the API reference at /docs (/openapi.json stays)")
    .option("--no-metrics", "no GET /metrics and no request counting");
}

/** Adds the gateway's upstream flags: the SSRF allow-list, body caps, timeouts, in-flight cap. */
export function addGatewayLimitOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        "--allow-upstream <cidr|host>",
        "where apps may live: a CIDR, address or host name; replaces the default private ranges (repeatable)",
      )
        .env("PORTICO_ALLOWED_UPSTREAMS")
        .argParser(collect(parseUpstreamList)),
    )
    .option(
      "--max-body-bytes <n>",
      "largest forwarded request body in bytes (64 MiB; then 413)",
      parseBytes,
    )
    .option(
      "--discovery-max-bytes <n>",
      "largest detailed_endpoints reply read at registration (8 MiB)",
      parseBytes,
    )
    .option("--connect-timeout <ms>", "milliseconds to connect to an app (5000; then 504)", parseMs)
    .option(
      "--max-in-flight <n>",
      "forwarded requests in flight per app (unlimited; then 503)",
      integerIn(1, 1e6),
    );
}

/**
 * Refuses empty or unsendable tokens with INVALID_OPTIONS (a usage error) without showing them:
 * an empty `--admin-token ""` would otherwise leave the server without one, silently.
 */
export function checkTokens(flags: {
  adminToken?: string;
  callToken?: string;
  token?: string;
}): void {
  if (flags.adminToken !== undefined) assertToken(flags.adminToken, "--admin-token");
  if (flags.callToken !== undefined) assertToken(flags.callToken, "--call-token");
  if (flags.token !== undefined) assertToken(flags.token, "--token");
}

/** The server options the flags set (tokens aside); flags not given are left out. */
export function policyOptionsFrom(flags: SecurityFlags): PolicyOptions {
  return defined({
    allowInsecure: flags.insecure,
    allowedHosts: flags.allowedHost,
    allowedOrigins: flags.allowedOrigin,
    trustProxy: flags.trustProxy,
    rateLimit:
      flags.rateLimit === undefined ? undefined : { max: flags.rateLimit, windowMs: 60_000 },
    requestTimeout: flags.requestTimeout,
    headersTimeout: flags.headersTimeout,
    mcp:
      flags.mcp === false
        ? false
        : flags.mcpPath === undefined
          ? undefined
          : { path: flags.mcpPath },
    docs: flags.docs === false ? false : undefined,
    metrics: flags.metrics === false ? false : undefined,
  });
}

/** ServiceOptions from the flags, tokens included (for a server built in this process). */
export function serviceOptionsFrom(flags: SecurityFlags): ServiceOptions {
  checkTokens(flags);
  return {
    ...policyOptionsFrom(flags),
    ...defined({ adminToken: flags.adminToken, callToken: flags.callToken }),
  };
}

/** GatewayOptions from the flags (the security ones and the gateway's own). */
export function gatewayOptionsFrom(flags: GatewayFlags): GatewayOptions {
  return {
    ...serviceOptionsFrom(flags),
    ...defined({
      allowedUpstreams: flags.allowUpstream,
      maxBodyBytes: flags.maxBodyBytes,
      discoveryMaxBytes: flags.discoveryMaxBytes,
      connectTimeout: flags.connectTimeout,
      maxInFlightPerApp: flags.maxInFlight,
    }),
  };
}

function defined<T extends object>(options: T): T {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as T;
}

/** A repeatable option: each occurrence's entries are appended to the earlier ones. */
function collect(
  parse: (value: string) => string[] | string,
): (value: string, previous: string[] | undefined) => string[] {
  return (value, previous) => [...(previous ?? []), ...[parse(value)].flat()];
}

/** A host name, or `*.` and a domain (the upstream allow-list matches its subdomains). */
const UPSTREAM_NAME = /^(\*\.)?[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;

/** A `Host` name without port: an address (`[::1]` or `::1`), a DNS name, or `*` for any. */
function parseHostName(value: string): string {
  const host = value
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, "$1");
  if (host !== "*" && !isValidListenHost(host)) {
    throw new InvalidArgumentError("Expected a host name or address (without port), or '*'.");
  }
  return host;
}

function parseOrigin(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError("Expected an origin such as https://ops.example.");
  }
  const bare = url.pathname === "/" && !url.search && !url.hash && !url.username && !url.password;
  if ((url.protocol !== "http:" && url.protocol !== "https:") || !bare) {
    throw new InvalidArgumentError("Expected an origin such as https://ops.example (no path).");
  }
  return url.origin;
}

function splitList(value: string): string[] {
  return value
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
}

function isCidr(entry: string): boolean {
  const [address = "", prefix, extra] = entry.split("/");
  const family = isIP(address);
  if (family === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128);
}

function parseCidrList(value: string): string[] {
  const entries = splitList(value);
  if (entries.length === 0 || !entries.every(isCidr)) {
    throw new InvalidArgumentError("Expected comma-separated addresses or CIDRs, e.g. 10.0.0.0/8.");
  }
  return entries;
}

function parseUpstreamList(value: string): string[] {
  const entries = splitList(value);
  const valid = (entry: string): boolean => isCidr(entry) || UPSTREAM_NAME.test(entry);
  if (entries.length === 0 || !entries.every(valid)) {
    throw new InvalidArgumentError("Expected CIDRs, addresses or host names, e.g. 10.0.0.0/8.");
  }
  return entries;
}
