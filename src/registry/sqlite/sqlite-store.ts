/**
 * The SQLite feed's tables and its synchronous operations. Every write runs in one BEGIN IMMEDIATE
 * transaction, so processes sharing the file serialise on the write lock and the ticket and
 * `expect` checks, the app row, the revision and the change row commit together or not at all.
 */
import type {
  AppRecord,
  Change,
  ChangeRequest,
  Snapshot,
  StoredApp,
  Ticket,
} from "../change-feed.js";
import type { SqliteDatabase, SqliteStatement } from "./sqlite-driver.js";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  revision INTEGER NOT NULL,
  ticket INTEGER NOT NULL
);
INSERT OR IGNORE INTO meta (id, revision, ticket) VALUES (1, 0, 0);
CREATE TABLE IF NOT EXISTS apps (
  name TEXT PRIMARY KEY,
  position INTEGER NOT NULL,
  json TEXT NOT NULL,
  revision INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS apps_by_position ON apps (position);
CREATE TABLE IF NOT EXISTS changes (
  revision INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  name TEXT NOT NULL,
  json TEXT
);
CREATE TABLE IF NOT EXISTS tickets (
  name TEXT PRIMARY KEY,
  last INTEGER NOT NULL,
  committed INTEGER NOT NULL
);
`;

/**
 * Files written before apps had a `revision` (the revision of the change that last wrote the
 * app) get the column. Each app takes its newest change still in the history, else the newest
 * revision of all: any later write of the app gets a higher one, so `expect` still tells them apart.
 */
const ADD_APP_REVISION = `
ALTER TABLE apps ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
UPDATE apps SET revision = coalesce(
  (SELECT max(revision) FROM changes WHERE changes.name = apps.name),
  (SELECT revision FROM meta WHERE id = 1)
);
`;

const STATEMENTS = {
  revision: "SELECT revision FROM meta WHERE id = 1",
  state: "SELECT revision, (SELECT min(revision) FROM changes) AS oldest FROM meta WHERE id = 1",
  nextRevision: "UPDATE meta SET revision = revision + 1 WHERE id = 1 RETURNING revision",
  nextTicket: "UPDATE meta SET ticket = ticket + 1 WHERE id = 1 RETURNING ticket",
  ticket: "SELECT last, committed FROM tickets WHERE name = ?",
  setTicket:
    "INSERT INTO tickets (name, last, committed) VALUES (?, ?, 0) ON CONFLICT (name) DO UPDATE SET last = excluded.last",
  commitTicket: "UPDATE tickets SET committed = ? WHERE name = ?",
  appRevision: "SELECT revision FROM apps WHERE name = ?",
  app: "SELECT json, revision FROM apps WHERE name = ?",
  insertApp: "INSERT INTO apps (name, position, json, revision) VALUES (?, ?, ?, ?)",
  updateApp: "UPDATE apps SET json = ?, revision = ? WHERE name = ?",
  deleteApp: "DELETE FROM apps WHERE name = ?",
  apps: "SELECT json FROM apps ORDER BY position",
  insertChange: "INSERT INTO changes (revision, type, name, json) VALUES (?, ?, ?, ?)",
  prune: "DELETE FROM changes WHERE revision <= ?",
  changesAfter:
    "SELECT revision, type, name, json FROM changes WHERE revision > ? ORDER BY revision LIMIT ?",
} as const;

type StatementName = keyof typeof STATEMENTS;

interface ChangeRow {
  revision: number;
  type: Change["type"];
  name: string;
  json: string | null;
}

interface TicketRow {
  last: number;
  committed: number;
}

/** Where the feed stands: the newest revision and the oldest change still kept. */
export interface FeedState {
  revision: number;
  oldest: number | undefined;
}

/** Prepared statements over one connection. */
export class SqliteFeedStore {
  private readonly sql: Record<StatementName, SqliteStatement>;
  readonly begin: (name: string) => Ticket;
  readonly apply: (request: ChangeRequest) => Change | undefined;
  readonly snapshot: () => Snapshot;

  constructor(
    db: SqliteDatabase,
    private readonly historySize: number,
  ) {
    db.pragma("journal_mode = WAL");
    // In WAL mode NORMAL survives a killed process (only a power loss can drop the last commits).
    db.pragma("synchronous = NORMAL");
    db.transaction(() => {
      db.exec(SCHEMA);
      if (!hasAppRevision(db)) db.exec(ADD_APP_REVISION);
    }).immediate();
    this.sql = prepareAll(db);
    this.begin = db.transaction((name: string) => this.beginIn(name)).immediate;
    this.apply = db.transaction((request: ChangeRequest) => this.applyIn(request)).immediate;
    // A read transaction: the revision and the apps come from the same state of the file.
    this.snapshot = db.transaction(() => this.snapshotIn());
  }

  /** The newest revision: one indexed read, cheap enough to poll. */
  revision(): number {
    return (this.sql.revision.get() as { revision: number }).revision;
  }

  /** The newest revision and the oldest kept change, read in one statement. */
  state(): FeedState {
    const row = this.sql.state.get() as { revision: number; oldest: number | null };
    return { revision: row.revision, oldest: row.oldest ?? undefined };
  }

  /** One app and the revision of its last change: one read by primary key. */
  get(name: string): StoredApp | undefined {
    const row = this.sql.app.get(name) as { json: string; revision: number } | undefined;
    return row && { app: JSON.parse(row.json) as AppRecord, revision: row.revision };
  }

  /** Up to `limit` changes after `revision`, in order. */
  changesAfter(revision: number, limit: number): Change[] {
    return (this.sql.changesAfter.all(revision, limit) as ChangeRow[]).map(toChange);
  }

  private beginIn(name: string): Ticket {
    const { ticket } = this.sql.nextTicket.get() as { ticket: number };
    const row = this.sql.ticket.get(name) as TicketRow | undefined;
    this.sql.setTicket.run(name, ticket);
    return { ticket, superseded: row !== undefined && row.last > row.committed };
  }

  private applyIn(request: ChangeRequest): Change | undefined {
    const name = request.op === "put" ? request.app.name : request.name;
    if (request.ticket !== undefined) {
      const row = this.sql.ticket.get(name) as TicketRow | undefined;
      if (row?.last !== request.ticket) return undefined;
    }
    const current = this.sql.appRevision.get(name) as { revision: number } | undefined;
    // A failed compare-and-set writes nothing, the ticket included: the operation may retry.
    if (request.expect !== undefined && request.expect !== (current?.revision ?? 0)) {
      return undefined;
    }
    if (request.ticket !== undefined) this.sql.commitTicket.run(request.ticket, name);
    if (request.op === "delete") {
      if (this.sql.deleteApp.run(name).changes === 0) return undefined;
      return this.record({ type: "app_unregistered", revision: this.nextRevision(), name }, null);
    }
    const json = JSON.stringify(request.app);
    const exists = current !== undefined;
    const revision = this.nextRevision();
    if (exists) this.sql.updateApp.run(json, revision, name);
    else this.sql.insertApp.run(name, revision, json, revision);
    const type = exists ? "app_updated" : "app_registered";
    return this.record({ type, revision, name, app: request.app }, json);
  }

  private nextRevision(): number {
    return (this.sql.nextRevision.get() as { revision: number }).revision;
  }

  private record(change: Change, json: string | null): Change {
    this.sql.insertChange.run(change.revision, change.type, change.name, json);
    this.sql.prune.run(change.revision - this.historySize);
    return change;
  }

  private snapshotIn(): Snapshot {
    const apps = (this.sql.apps.all() as { json: string }[]).map(
      (row) => JSON.parse(row.json) as AppRecord,
    );
    return { revision: this.revision(), apps };
  }
}

function prepareAll(db: SqliteDatabase): Record<StatementName, SqliteStatement> {
  const entries = Object.entries(STATEMENTS).map(([key, sql]) => [key, db.prepare(sql)]);
  return Object.fromEntries(entries) as Record<StatementName, SqliteStatement>;
}

function toChange(row: ChangeRow): Change {
  const { revision, type, name } = row;
  if (type === "app_unregistered") return { type, revision, name };
  return { type, revision, name, app: JSON.parse(row.json ?? "null") as AppRecord };
}

/** True when the apps table has its `revision` column (false in files of the version before). */
function hasAppRevision(db: SqliteDatabase): boolean {
  const sql = "SELECT 1 FROM pragma_table_info('apps') WHERE name = 'revision'";
  return db.prepare(sql).get() !== undefined;
}
