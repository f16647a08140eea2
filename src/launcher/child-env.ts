/**
 * The environment of a launched process. Secrets (tokens, a Redis URL's password) reach the child
 * through it and never through its command line, which every local user can read in `ps` and
 * `/proc/<pid>/cmdline`.
 */
import { assertToken } from "../client/transport.js";
import { InvalidOptionsError } from "../errors.js";

/** What the launcher puts in a child's environment. */
export interface ChildSecrets {
  /** Extra environment variables for the child. */
  env?: Record<string, string> | undefined;
  /** A Gateway's registry URL (`$PORTICO_REGISTRY`). */
  registry?: string | undefined;
  /** The service's own admin token (`$PORTICO_ADMIN_TOKEN`). */
  adminToken?: string | undefined;
  /** The service's caller token (`$PORTICO_CALL_TOKEN`). */
  callToken?: string | undefined;
  /** The token a self-registering service sends its gateway (`$PORTICO_GATEWAY_TOKEN`). */
  gatewayToken?: string | undefined;
  /** Service options; tokens and the registry found here are moved to the environment. */
  serviceOptions?: Record<string, unknown> | undefined;
}

const TOKEN_OPTIONS = {
  PORTICO_ADMIN_TOKEN: "adminToken",
  PORTICO_CALL_TOKEN: "callToken",
  PORTICO_GATEWAY_TOKEN: "gatewayToken",
} as const;

/** The child's environment, with the secrets in it, and its service options without them. */
export function childEnvironment(options: ChildSecrets): {
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
    PORTICO_GATEWAY_TOKEN: options.gatewayToken,
  };
  for (const [name, token] of Object.entries(tokens)) {
    if (token === undefined) continue;
    if (typeof token !== "string") {
      throw new InvalidOptionsError(
        `${TOKEN_OPTIONS[name as keyof typeof tokens]} must be a string`,
      );
    }
    assertToken(token, TOKEN_OPTIONS[name as keyof typeof tokens]);
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
export function refuseUnsharedRegistry(
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
