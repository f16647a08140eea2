/**
 * Where a gateway keeps its registered apps. The gateway holds routes in memory for constant-time
 * lookup and writes through to a Registry; a durable or shared backend (SQLite, Redis) implements
 * this interface without the gateway changing.
 */
import type { AppInfo } from "../gateway/tasks.js";

/** One registered app. */
export type AppRecord = AppInfo;

/**
 * Storage of registered apps. Every method may be async so remote backends fit. Every backend
 * passes the same conformance suite (`test/helpers/registry-conformance.ts`).
 */
export interface Registry {
  /** Inserts the app, or replaces the app of that name in place (it keeps its position). */
  put(record: AppRecord): Promise<void> | void;
  /** Removes an app; resolves true when it existed. */
  delete(name: string): Promise<boolean> | boolean;
  /** Every app in registration order, as a snapshot (a deleted then re-put app comes last). */
  list(): Promise<AppRecord[]> | AppRecord[];
  /** Releases the backend's resources. */
  close?(): Promise<void> | void;
}
