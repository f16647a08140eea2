/**
 * The default registry: a Map in the gateway's process (lost on restart; one process only).
 */
import type { AppRecord, Registry } from "./registry.js";

/**
 * In-memory registry, in registration order (re-registering keeps the first position). Records
 * are kept as JSON in Buffers: a copy the caller cannot change afterwards, held outside the
 * JavaScript heap so that many large schemas cost the garbage collector nothing.
 */
export class MemoryRegistry implements Registry {
  private readonly apps = new Map<string, Buffer>();

  put(record: AppRecord): void {
    this.apps.set(record.name, Buffer.from(JSON.stringify(record)));
  }

  delete(name: string): boolean {
    return this.apps.delete(name);
  }

  list(): AppRecord[] {
    return [...this.apps.values()].map((json) => JSON.parse(json.toString()) as AppRecord);
  }
}
