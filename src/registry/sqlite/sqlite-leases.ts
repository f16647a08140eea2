/**
 * The SQLite feed's leases: a table of (name, url) -> deadline on the process clock, kept apart
 * from the apps so that renewing a lease writes no change. Processes sharing the file share the
 * leases; each operation is one statement, so SQLite makes it atomic on its own.
 */
import type { ExpiredLease } from "../change-feed.js";
import { expiredLimit, leaseTtl } from "../feed-gap.js";
import type { SqliteDatabase, SqliteStatement } from "./sqlite-driver.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS leases (
  name TEXT NOT NULL,
  url TEXT NOT NULL,
  deadline INTEGER NOT NULL,
  PRIMARY KEY (name, url)
);
CREATE INDEX IF NOT EXISTS leases_by_deadline ON leases (deadline);
`;

const STATEMENTS = {
  lease:
    "INSERT INTO leases (name, url, deadline) VALUES (?, ?, ?) ON CONFLICT (name, url) DO UPDATE SET deadline = excluded.deadline",
  // Only a lease still running moves: one past its deadline stays expired until dropped.
  renew: "UPDATE leases SET deadline = ? WHERE name = ? AND url = ? AND deadline > ?",
  drop: "DELETE FROM leases WHERE name = ? AND url = ?",
  // Deletes only a lease still past its deadline: one renewed or leased again meanwhile stays.
  claim: "DELETE FROM leases WHERE name = ? AND url = ? AND deadline <= ?",
  expired: "SELECT name, url FROM leases WHERE deadline <= ? ORDER BY deadline LIMIT ?",
} as const;

/** Leases in one SQLite file, through one connection. */
export class SqliteLeases {
  private readonly sql: Record<keyof typeof STATEMENTS, SqliteStatement>;

  /** Creates the table if needed (inside BEGIN IMMEDIATE, as other processes may do the same). */
  constructor(db: SqliteDatabase) {
    db.transaction(() => db.exec(SCHEMA)).immediate();
    const entries = Object.entries(STATEMENTS).map(([key, sql]) => [key, db.prepare(sql)]);
    this.sql = Object.fromEntries(entries) as Record<keyof typeof STATEMENTS, SqliteStatement>;
  }

  /** Creates the lease, or moves its deadline to `ttlMs` from now. */
  lease(name: string, url: string, ttlMs: number): void {
    this.sql.lease.run(name, url, Date.now() + leaseTtl(ttlMs));
  }

  /** Moves the deadline of a lease still running; false when there is none or it is past. */
  renew(name: string, url: string, ttlMs: number): boolean {
    const ttl = leaseTtl(ttlMs);
    const now = Date.now();
    return this.sql.renew.run(now + ttl, name, url, now).changes === 1;
  }

  /** Forgets the lease, if any. */
  drop(name: string, url: string): void {
    this.sql.drop.run(name, url);
  }

  /** Forgets the lease only if its deadline has passed; true when it did. */
  claimExpired(name: string, url: string): boolean {
    return this.sql.claim.run(name, url, Date.now()).changes === 1;
  }

  /** Leases past their deadline, oldest first (an indexed range read). */
  expired(limit?: number): ExpiredLease[] {
    return this.sql.expired.all(Date.now(), expiredLimit(limit)) as ExpiredLease[];
  }
}
