/**
 * fast-check arbitraries and oracles shared by the forwarding and registration properties
 * (test/unit/forward-properties.test.ts over the pure rules, test/integration/forward-properties
 * over a real gateway).
 */
import fc from "fast-check";
import { RESERVED_APP_NAMES } from "../../src/gateway/app-name.js";

/** Characters and escapes path tricks are made of, plus ordinary ones. */
const PIECES = [
  ".",
  "%",
  "%2e",
  "%2E",
  "%2f",
  "%2F",
  "%5c",
  "%5C",
  "%25",
  "%00",
  "%e9",
  "%C3%A9",
  "\\",
  ";",
  "a",
  "b",
  "2",
  "e",
  "f",
  "~",
  "é",
  "😀",
];

/** One path segment: a dot form in some spelling, or a mix of pieces. */
const segment = fc.oneof(
  fc.constantFrom(".", "..", "%2e", "%2E", ".%2e", "%2e.", "%2E%2e", "...", ""),
  fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 4 }).map((p) => p.join("")),
);

/** What may follow a segment: nothing usually, else a query, fragment or parameter start. */
const after = fc.constantFrom("", "", "", "", "?", "?q=1", "#", "#x", ";", ";x");

const separator = fc.constantFrom("/", "/", "/", "/", "//", "\\", "%2f", "%5C");

/** Strings that may follow `/<app>/` in a request target. */
export const pathTail: fc.Arbitrary<string> = fc
  .array(fc.tuple(segment, after, separator), { maxLength: 5 })
  .map((parts) => parts.map(([s, a, sep], i) => (i === 0 ? "" : sep) + s + a).join(""));

/**
 * Why a forwarded target (`/base/...`, query included) could leave its base path, or undefined
 * when it cannot. The path is what precedes `?` or `#` (no upstream treats a fragment as path);
 * split on `/`, each segment must percent-decode, be neither `.` nor `..`, and hold no `/` or `\`;
 * and WHATWG URL resolution (`\` as `/`, `%2e` as `.`), which many upstreams apply, must stay
 * inside the base path.
 */
export function escapeOf(forwarded: string, base: string): string | undefined {
  const rest = forwarded.slice(base.length);
  if (!forwarded.startsWith(base) || !(rest === "" || /^[/?#]/.test(rest))) {
    return "does not start with the base path";
  }
  const path = forwarded.split(/[?#]/, 1)[0] ?? "";
  for (const part of path.split("/")) {
    let decoded: string;
    try {
      decoded = decodeURIComponent(part);
    } catch {
      return `segment ${JSON.stringify(part)} does not decode`;
    }
    if (decoded === "." || decoded === "..") return `dot segment ${JSON.stringify(part)}`;
    if (decoded.includes("/") || decoded.includes("\\")) {
      return `encoded slash in ${JSON.stringify(part)}`;
    }
  }
  const resolved = new URL(forwarded, "http://upstream.invalid").pathname;
  if (!(resolved === base || resolved.startsWith(`${base}/`))) return `resolves to ${resolved}`;
  return undefined;
}

/** App names near and far from the rule. */
export const appName: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.string({ unit: "binary", maxLength: 20 }),
  fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,70}$/),
  fc.stringMatching(/^[A-Za-z0-9_.\-/%]{0,10}$/),
  fc.constantFrom(...RESERVED_APP_NAMES),
);

/**
 * URL-ish strings from `hosts` and `ports`: web URLs with every optional part (scheme, user
 * info, path, query, fragment) in good and bad spellings, and a few arbitrary strings.
 */
export function appUrl(
  hosts: fc.Arbitrary<string>,
  ports: fc.Arbitrary<string>,
): fc.Arbitrary<string> {
  const scheme = fc.constantFrom(
    "http://",
    "https://",
    "HTTP://",
    "ftp://",
    "file://",
    "http:",
    "http:/",
    "",
    "javascript:",
  );
  const userinfo = fc.constantFrom("", "", "", "u@", ":pw@", "u:pw@", "%40@", "@");
  const path = fc.oneof(
    fc.constant(""),
    fc.webPath(),
    pathTail.map((t) => `/${t}`),
  );
  const suffix = fc.constantFrom("", "", "", "?q=1", "#f", "?", "#");
  const parts = fc.tuple(scheme, userinfo, hosts, ports, path, suffix).map((p) => p.join(""));
  return fc.oneof(
    { weight: 6, arbitrary: parts },
    { weight: 1, arbitrary: fc.string({ maxLength: 40 }) },
  );
}
