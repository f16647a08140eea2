/**
 * Writes that change part of an app (one instance added, removed or updated) as read-modify-write
 * compare-and-sets on the registry: read the app and the revision of its last change, compute the
 * new record, write it only if nobody changed the app meanwhile, else read again. Three services
 * adding themselves to one app at the same moment all end up in it, on every backend.
 */
import { RegistryUnavailableError } from "../../errors.js";
import type { AppRecord, Change, Registry } from "../../registry/registry.js";
import type { InstanceInfo } from "../tasks.js";
import { instancesOf } from "../upstream/fleet.js";

/** What an edit decides: write this record, remove the app, or leave it as it is. */
export type Edit = { put: AppRecord } | { remove: true } | undefined;

/** Attempts before giving up under contention (each one lost to another writer's change). */
const ATTEMPTS = 50;

/**
 * Applies `edit` to app `name` atomically; resolves with the change written, or undefined when
 * the edit decided there was nothing to do. `edit` may throw (e.g. INSTANCE_MISMATCH).
 */
export async function editApp(
  registry: Registry,
  name: string,
  edit: (current: AppRecord | undefined) => Edit,
): Promise<Change | undefined> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const stored = await registry.get(name);
    const decision = edit(stored?.app);
    if (decision === undefined) return undefined;
    const expect = stored?.revision ?? 0;
    const change =
      "put" in decision
        ? await registry.apply({ op: "put", app: decision.put, expect })
        : stored
          ? await registry.apply({ op: "delete", name, expect })
          : undefined;
    if (change || (!stored && "remove" in decision)) return change;
  }
  throw new RegistryUnavailableError(
    `App "${name}" changed ${ATTEMPTS} times while this change was being written; try again`,
    { data: { name } },
  );
}

/** The record with `instance` added, or put in place of the instance with the same URL. */
export function withInstance(app: AppRecord, instance: InstanceInfo): AppRecord {
  const instances = instancesOf(app).filter((i) => i.url !== instance.url);
  instances.push(stripHealth(instance));
  return { ...app, url: instances[0]!.url, instances };
}

/** The record without the instance at `url` (undefined when it was the last one). */
export function withoutInstance(app: AppRecord, url: string): AppRecord | undefined {
  const instances = instancesOf(app).filter((i) => i.url !== url);
  if (instances.length === 0) return undefined;
  return { ...app, url: instances[0]!.url, instances };
}

/** Whether two endpoint sets are the same (key order aside). */
export function sameEndpoints(a: AppRecord["endpoints"], b: AppRecord["endpoints"]): boolean {
  return canonical(a) === canonical(b);
}

/** Names present in one set and not the other, for the INSTANCE_MISMATCH message. */
export function endpointDifference(
  app: AppRecord["endpoints"],
  instance: AppRecord["endpoints"],
): { missing: string[]; extra: string[]; changed: string[] } {
  const missing = Object.keys(app).filter((n) => !(n in instance));
  const extra = Object.keys(instance).filter((n) => !(n in app));
  const changed = Object.keys(app).filter(
    (n) => n in instance && canonical(app[n]) !== canonical(instance[n]),
  );
  return { missing, extra, changed };
}

/** Health is per replica: what is stored is only the instance's URL, lease and server id. */
function stripHealth(instance: InstanceInfo): InstanceInfo {
  const stored: InstanceInfo = { url: instance.url };
  if (instance.lease_ms !== undefined) stored.lease_ms = instance.lease_ms;
  if (instance.server_id !== undefined) stored.server_id = instance.server_id;
  return stored;
}

function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}
