/**
 * The names of the endpoints every Portico service answers, with no import at all: the console's
 * browser bundle reads this list too (builtins.ts, which needs zod, is checked against it).
 */
export const BUILTIN_NAMES = [
  "endpoints",
  "detailed_endpoints",
  "status",
  "heartbeat",
  "server_id",
  "class_name",
  "pid_file",
  "shutdown",
] as const;

/** The wire name of a built-in endpoint. */
export type BuiltinName = (typeof BUILTIN_NAMES)[number];
