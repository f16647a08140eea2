/**
 * Properties (fast-check) of the pure rules behind forwarding and registration: the path rule
 * (`unsafePath`), app names and app URLs. Every input either passes the rule and is then safe
 * by an independent oracle (percent-decoding, and WHATWG URL resolution, which is what many
 * upstreams apply), or is refused with the rule's own error class. The same properties over a
 * real gateway are in test/integration/forward-properties.test.ts.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { InvalidAppUrlError } from "../../src/errors.js";
import { InvalidAppNameError } from "../../src/errors.js";
import {
  APP_NAME_PATTERN,
  RESERVED_APP_NAMES,
  assertAppName,
  isValidAppName,
  normalizeAppUrl,
} from "../../src/gateway/app-name.js";
import { unsafePath } from "../../src/gateway/forward/path-rule.js";
import { appName, appUrl, escapeOf, pathTail } from "../helpers/properties.js";

const RUNS = { numRuns: 1_000 };

describe("the path rule (unsafePath)", () => {
  it("lets through only paths that stay inside the base path", () => {
    fc.assert(
      fc.property(pathTail, (tail) => {
        const rest = `/${tail}`;
        const query = rest.indexOf("?");
        // The forwarder checks the path without its query, then forwards both.
        if (unsafePath(query === -1 ? rest : rest.slice(0, query))) return;
        expect(escapeOf(`/base${rest}`, "/base")).toBeUndefined();
      }),
      RUNS,
    );
  });

  it("refuses every dot segment and encoded slash, however it is spelt", () => {
    const dot = fc.constantFrom(".", "..", "%2e", "%2E", ".%2e", "%2e.", "%2E%2e");
    const slash = fc.constantFrom("%2f", "%2F", "%5c", "%5C", "\\");
    const safe = fc.stringMatching(/^[a-z0-9_~-]{0,6}$/);
    fc.assert(
      fc.property(safe, dot, safe, fc.constantFrom("/", ""), (before, bad, after, end) => {
        expect(unsafePath(`/${before}/${bad}${after === "" ? "" : `/${after}`}${end}`)).toBe(true);
      }),
      RUNS,
    );
    fc.assert(
      fc.property(safe, slash, safe, (before, bad, after) => {
        expect(unsafePath(`/${before}${bad}${after}`)).toBe(true);
      }),
      RUNS,
    );
  });

  it("lets ordinary paths through", () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9_~-]{1,8}(\.[a-z]{1,4})?$/);
    fc.assert(
      fc.property(fc.array(segment, { maxLength: 6 }), (segments) => {
        expect(unsafePath(`/${segments.join("/")}`)).toBe(false);
      }),
      RUNS,
    );
  });
});

describe("app names", () => {
  it("pass exactly when they match the pattern and are not reserved, else INVALID_APP_NAME", () => {
    fc.assert(
      fc.property(appName, (name) => {
        let thrown: unknown;
        try {
          assertAppName(name);
        } catch (error) {
          thrown = error;
        }
        const valid = APP_NAME_PATTERN.test(name) && !RESERVED_APP_NAMES.has(name);
        expect(isValidAppName(name)).toBe(valid);
        if (valid) expect(thrown).toBeUndefined();
        else {
          expect(thrown).toBeInstanceOf(InvalidAppNameError);
          expect((thrown as InvalidAppNameError).code).toBe("INVALID_APP_NAME");
        }
      }),
      RUNS,
    );
  });

  it("refuses names that are not strings with INVALID_APP_NAME", () => {
    fc.assert(
      fc.property(
        fc.anything().filter((v) => typeof v !== "string"),
        (name) => {
          let thrown: unknown;
          try {
            assertAppName(name);
          } catch (error) {
            thrown = error;
          }
          expect((thrown as InvalidAppNameError).code).toBe("INVALID_APP_NAME");
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("app URLs", () => {
  const hosts = fc.oneof(
    fc.constantFrom(
      "127.0.0.1",
      "[::1]",
      "localhost",
      "127.1",
      "0x7f000001",
      "2130706433",
      "[::ffff:127.0.0.1]",
      "",
    ),
    fc.domain(),
    fc.string({ maxLength: 10 }),
  );
  const ports = fc.constantFrom("", ":8080", ":0", ":65535", ":65536", ":abc", ":");

  it("are normalised to an http(s) URL without credentials, query or fragment, or refused with INVALID_APP_URL", () => {
    fc.assert(
      fc.property(appUrl(hosts, ports), (url) => {
        let normalized: string | undefined;
        try {
          normalized = normalizeAppUrl(url);
        } catch (error) {
          expect((error as InvalidAppUrlError).code).toBe("INVALID_APP_URL");
          return;
        }
        const parsed = new URL(normalized);
        expect(["http:", "https:"]).toContain(parsed.protocol);
        expect([parsed.username, parsed.password, parsed.search, parsed.hash]).toEqual([
          "",
          "",
          "",
          "",
        ]);
        expect(normalized.endsWith("/")).toBe(false);
        // Normalising again changes nothing.
        expect(normalizeAppUrl(normalized)).toBe(normalized);
      }),
      RUNS,
    );
  });
});
