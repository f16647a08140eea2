/**
 * The gateway's tool names: `<app>__<endpoint>`, in MCP's characters (`[A-Za-z0-9_.-]`, at most
 * 128). A name that would be longer, or that an earlier tool in the list already has (app names
 * may contain `__` too: app `a` with endpoint `b__c`, app `a__b` with endpoint `c`), keeps the app
 * and the start of the endpoint and ends in `_` and 8 hex digits of the SHA-256 of
 * `<app>/<endpoint>`. The list is in code-point order of app, then endpoint, so every replica
 * names every tool the same way.
 */
import { createHash } from "node:crypto";

export const MAX_TOOL_NAME = 128;
const SEPARATOR = "__";
const ALLOWED = /^[A-Za-z0-9_.-]+$/;

/** The name of `endpoint` of `app`, given the names taken by the tools before it. */
export function gatewayToolName(
  app: string,
  endpoint: string,
  taken: ReadonlyMap<string, unknown> | ReadonlySet<string>,
): string {
  const plain = `${app}${SEPARATOR}${endpoint}`;
  if (plain.length <= MAX_TOOL_NAME && ALLOWED.test(plain) && !taken.has(plain)) return plain;
  const hash = createHash("sha256").update(`${app}/${endpoint}`).digest("hex").slice(0, 8);
  const room = MAX_TOOL_NAME - app.length - SEPARATOR.length - hash.length - 1;
  const head = endpoint.replace(/[^A-Za-z0-9_.-]/g, "_").slice(0, Math.max(0, room));
  return `${app}${SEPARATOR}${head}_${hash}`;
}
