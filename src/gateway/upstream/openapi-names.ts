/**
 * Method names for OpenAPI operations: each must be an endpoint name (an identifier), unique in
 * the app, and free of the names every client already has.
 */
import { BUILTIN_WIRE_NAMES, RESERVED_CLIENT_MEMBERS } from "../../client/create-client.js";

/**
 * Names an operation never gets: the built-in endpoints, every client member, and what an app
 * proxy answers itself (`call`, and the names promise and JSON machinery probe).
 */
const RESERVED: ReadonlySet<string> = new Set([
  ...BUILTIN_WIRE_NAMES,
  ...RESERVED_CLIENT_MEMBERS,
  "call",
  "then",
  "catch",
  "finally",
  "toJSON",
]);

/** `operationId` as an identifier (`create-item` -> `create_item`); undefined when it has none. */
export function operationName(operationId: unknown): string | undefined {
  if (typeof operationId !== "string" || operationId.trim() === "") return undefined;
  const name = operationId.trim().replace(/[^A-Za-z0-9_]/g, "_");
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/** The name of an operation without `operationId`: method and path (`GET /items/{id}` -> `get_items_id`). */
export function routeName(method: string, path: string): string {
  const words = path.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
  return words ? `${method.toLowerCase()}_${words}` : method.toLowerCase();
}

/**
 * Hands out unique names in call order: a name already taken, or reserved, gets the first free
 * suffix `_2`, `_3`, ... (so the same document always yields the same names).
 */
export class NameTable {
  private readonly taken = new Set<string>();

  claim(base: string): string {
    let name = base;
    for (let n = 2; this.taken.has(name) || RESERVED.has(name); n++) name = `${base}_${n}`;
    this.taken.add(name);
    return name;
  }
}
