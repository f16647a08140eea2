/**
 * The default registry: a Map in the gateway's process (lost on restart; one process only).
 */
import type { AppRecord, Registry } from "./registry.js";

/**
 * In-memory registry, in registration order (re-registering keeps the first position). Records
 * are kept as JSON text: a copy the caller cannot change afterwards, and few objects for the
 * garbage collector to trace however many schemas the apps publish.
 */
export class MemoryRegistry implements Registry {
  private readonly apps = new Map<string, string>();

  put(record: AppRecord): void {
    this.apps.set(record.name, JSON.stringify(record));
  }

  delete(name: string): boolean {
    return this.apps.delete(name);
  }

  list(): AppRecord[] {
    return [...this.apps.values()].map((text) => JSON.parse(text) as AppRecord);
  }
}
