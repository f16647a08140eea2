/**
 * Opens the registry a URL names: `memory://` (the default), `sqlite:///abs/path.db` or
 * `sqlite:./rel.db`, `redis://host:port/db`. Each durable backend, and its driver, is loaded only
 * when its URL is used, so that a gateway on `memory://` never loads better-sqlite3 or ioredis.
 */
import { InvalidOptionsError } from "../errors.js";
import { redactUrlText } from "../net/url.js";
import type { ChangeFeedRegistry } from "./change-feed.js";
import { historySize } from "./feed-gap.js";
import { MemoryFeedRegistry } from "./memory/memory-registry.js";

/** Options passed to whichever backend the URL chooses. */
export interface CreateRegistryOptions {
  /** Changes kept for replay (default 10,000); a watcher further behind gets `resync`. */
  history?: number;
}

/** The schemes `createRegistry` accepts, for messages. */
export const REGISTRY_SCHEMES = ["memory://", "sqlite:", "redis://"] as const;

/**
 * The registry `url` names, opened (and for SQLite, created if needed).
 *
 * @example
 * const registry = await createRegistry(process.env.PORTICO_REGISTRY ?? "memory://");
 */
export async function createRegistry(
  url: string,
  options: CreateRegistryOptions = {},
): Promise<ChangeFeedRegistry> {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case "memory":
      if (url !== "memory://" && url !== "memory:") break;
      return new MemoryFeedRegistry(historySize(options.history));
    case "sqlite": {
      const { SqliteFeedRegistry } = await import("./sqlite/sqlite-registry.js");
      return SqliteFeedRegistry.open(url, options);
    }
    case "redis":
    case "rediss": {
      const { RedisFeedRegistry } = await import("./redis/redis-registry.js");
      return RedisFeedRegistry.open(url, options);
    }
  }
  throw new InvalidOptionsError(
    `Unknown registry URL ${JSON.stringify(redactUrlText(url))}: use memory://, sqlite:///abs/path.db (or sqlite:./rel.db), or redis://host:port/db`,
    { data: { url: redactUrlText(url), schemes: REGISTRY_SCHEMES } },
  );
}
