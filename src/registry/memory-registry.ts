/**
 * The default registry: a Map in the gateway's process (lost on restart; one process only).
 */
import type { AppRecord, Registry } from "./registry.js";

/** In-memory registry, in registration order (re-registering keeps the first position). */
export class MemoryRegistry implements Registry {
  private readonly apps = new Map<string, AppRecord>();

  put(record: AppRecord): void {
    this.apps.set(record.name, record);
  }

  delete(name: string): boolean {
    return this.apps.delete(name);
  }

  list(): AppRecord[] {
    return [...this.apps.values()];
  }
}
