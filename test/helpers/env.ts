/**
 * Environment variables a test sets: each test starts with them unset (a variable left in the
 * runner's environment would change what a server reads) and gets the runner's values back after.
 */
import { afterEach, beforeEach } from "vitest";

/** The variables the access policy, the clients and the upstream guard read. */
export const SECURITY_ENV = [
  "PORTICO_ADMIN_TOKEN",
  "PORTICO_CALL_TOKEN",
  "PORTICO_TOKEN",
  "PORTICO_ALLOWED_UPSTREAMS",
] as const;

/** Unsets `names` before each test of the current file or suite, and restores them after it. */
export function isolateEnv(names: readonly string[] = SECURITY_ENV): void {
  const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));
  beforeEach(() => {
    for (const name of names) delete process.env[name];
  });
  afterEach(() => {
    for (const name of names) {
      const value = saved[name];
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}
