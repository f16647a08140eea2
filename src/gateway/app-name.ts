/**
 * The one rule for app names, enforced by the gateway (400 INVALID_APP_NAME) and relied on by
 * clients: a name is an identifier-like URL segment that can never shadow a client member.
 */
import { InvalidAppNameError, InvalidAppUrlError } from "../errors.js";
import { clipText, parseHttpUrl, redactUrlText, safeUrlText } from "../net/url.js";
import { builtinTasks } from "../contract/builtins.js";
import { gatewayTasks } from "./tasks.js";

/** Letters, digits, `_` and `-`, starting with a letter; at most 64 characters. */
export const APP_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

/**
 * Names taken by gateway client members, the gateway's own routes, or JavaScript machinery
 * (`then` would make a client look like a Promise).
 */
export const RESERVED_APP_NAMES: ReadonlySet<string> = new Set([
  // members every object has (hasOwnProperty, toString, ...)
  ...Object.getOwnPropertyNames(Object.prototype),
  // gateway client members
  "url",
  "transport",
  "app",
  "apps",
  "call",
  "close",
  "refresh",
  "reconnect",
  "registerApp",
  "unregisterApp",
  "registeredApps",
  "listApps",
  "listAppsWithSchemas",
  "status",
  "heartbeat",
  "endpoints",
  "detailedEndpoints",
  "serverId",
  "className",
  "pidFile",
  "shutdown",
  "on",
  "off",
  "changes",
  // gateway routes: its endpoints (taken from the contract, so a new one is reserved at once)
  ...Object.keys(gatewayTasks),
  ...Object.keys(builtinTasks),
  "docs",
  "mcp",
  "openapi",
  "events",
  "console",
  "metrics",
  // JavaScript machinery
  "then",
  "catch",
  "finally",
  "constructor",
  "prototype",
  "toString",
  "toJSON",
  "valueOf",
  "inspect",
]);

/** True when `name` may be registered. */
export function isValidAppName(name: unknown): name is string {
  return typeof name === "string" && APP_NAME_PATTERN.test(name) && !RESERVED_APP_NAMES.has(name);
}

/** Throws `InvalidAppNameError` unless `name` follows the rule. */
export function assertAppName(name: unknown): asserts name is string {
  if (typeof name !== "string" || !APP_NAME_PATTERN.test(name)) {
    // Echo at most a clip of what was sent: a megabyte name must not come back twice.
    const shown = typeof name === "string" ? clipText(name) : name;
    throw new InvalidAppNameError(
      `Invalid app name ${JSON.stringify(shown)}: use letters, digits, "_" and "-", starting with a letter (at most 64)`,
      { data: { name: shown, pattern: APP_NAME_PATTERN.source } },
    );
  }
  if (RESERVED_APP_NAMES.has(name)) {
    throw new InvalidAppNameError(`App name "${name}" is reserved`, { data: { name } });
  }
}

/** Checks an app URL and returns it normalised (no trailing slash). */
export function normalizeAppUrl(url: unknown): string {
  const text = typeof url === "string" ? url : "";
  const fail = (message: string, cause?: unknown): Error =>
    new InvalidAppUrlError(`App URL: ${message}`, {
      cause,
      data: { url: typeof url === "string" ? clipText(redactUrlText(url)) : url },
    });
  if (typeof url !== "string") throw fail("expected a string");
  const parsed = parseHttpUrl(text, fail);
  if (parsed.username || parsed.password) {
    // Never echo credentials back, nor keep them in a list every client can read.
    throw new InvalidAppUrlError("App URL must not carry credentials", {
      data: { url: safeUrlText(parsed) },
    });
  }
  if (parsed.search || parsed.hash) {
    throw fail("must not carry a query or fragment");
  }
  return parsed.href.replace(/\/+$/, "");
}
