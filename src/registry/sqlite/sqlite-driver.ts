/**
 * The part of better-sqlite3 this backend uses, typed here (the package ships no types and
 * @types/better-sqlite3 is not a dependency), how it is loaded, and how `sqlite:` URLs map to files.
 */
import { InvalidOptionsError } from "../../errors.js";
import { loadOptional } from "../load-optional.js";

/** A prepared statement. */
export interface SqliteStatement {
  run(...params: unknown[]): { changes: number };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

/** A function wrapped by `db.transaction(fn)`; `.immediate` runs it under BEGIN IMMEDIATE. */
export interface SqliteTransaction<TArgs extends unknown[], TResult> {
  (...args: TArgs): TResult;
  immediate: (...args: TArgs) => TResult;
}

/** An open database connection. */
export interface SqliteDatabase {
  prepare(sql: string): SqliteStatement;
  exec(sql: string): void;
  pragma(source: string, options?: { simple?: boolean }): unknown;
  transaction<TArgs extends unknown[], TResult>(
    fn: (...args: TArgs) => TResult,
  ): SqliteTransaction<TArgs, TResult>;
  close(): void;
  readonly open: boolean;
}

type DatabaseConstructor = new (filename: string, options?: { timeout?: number }) => SqliteDatabase;

/** Opens `filename` with better-sqlite3 (loaded on first use); `timeout` is SQLite's busy_timeout. */
export async function openDatabase(filename: string, busyTimeout: number): Promise<SqliteDatabase> {
  const driver = await loadOptional<{ default: DatabaseConstructor }>(
    "better-sqlite3",
    "better-sqlite3@12",
  );
  try {
    return new driver.default(filename, { timeout: busyTimeout });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const hint = /bindings|\.node\b/.test(message)
      ? " (better-sqlite3's native addon did not load: npm rebuild better-sqlite3)"
      : "";
    throw new InvalidOptionsError(
      `Cannot open the SQLite registry ${filename}${hint}: ${message}`,
      {
        cause: error,
        data: { filename },
      },
    );
  }
}

/**
 * The file a `sqlite:` URL names: `sqlite:///abs/path.db` (absolute), `sqlite:./rel.db` or
 * `sqlite:rel.db` (relative to the working directory), `sqlite::memory:` (private to one instance).
 */
export function sqliteFilename(url: string): string {
  if (!url.startsWith("sqlite:")) throw invalidUrl(url);
  const rest = url.slice("sqlite:".length);
  if (rest.startsWith("//")) {
    // sqlite://host/... would name a host: only the empty authority (three slashes) is a file path.
    if (!rest.startsWith("///")) throw invalidUrl(url);
    return decodeURIComponent(rest.slice(2));
  }
  if (rest === "") throw invalidUrl(url);
  return rest === ":memory:" ? rest : decodeURIComponent(rest);
}

function invalidUrl(url: string): InvalidOptionsError {
  return new InvalidOptionsError(
    `Invalid SQLite registry URL ${url}: use sqlite:///absolute/path.db or sqlite:./relative.db`,
    { data: { url } },
  );
}
