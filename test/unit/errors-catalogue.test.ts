import { describe, expect, it } from "vitest";
import * as portico from "../../src/index.js";
import { ERROR_CODES, PorticoError, errorFromWire } from "../../src/errors.js";
import type { ErrorCode } from "../../src/errors.js";

const CODES = Object.keys(ERROR_CODES) as ErrorCode[];
const exported = portico as Record<string, unknown>;

type AnyErrorClass = new (message: string) => PorticoError;

/** The class src/index.ts exports under the catalogue's class name, if it is one. */
function exportedClass(code: ErrorCode): AnyErrorClass | undefined {
  const value = exported[ERROR_CODES[code].className];
  return typeof value === "function" ? (value as AnyErrorClass) : undefined;
}

function requireClass(code: ErrorCode): AnyErrorClass {
  const Cls = exportedClass(code);
  if (!Cls) throw new Error(`src/index.ts exports no class ${ERROR_CODES[code].className}`);
  return Cls;
}

describe("the error catalogue", () => {
  it("has a class exported from src/index.ts for every code", () => {
    const missing = CODES.filter((code) => exportedClass(code) === undefined);
    expect(missing, "add the class (errorClass(code)) and its export in src/index.ts").toEqual([]);
  });

  it.each(CODES)("%s: its class is named as the catalogue says and carries the code", (code) => {
    const Cls = requireClass(code);
    expect(Cls.name).toBe(ERROR_CODES[code].className);
    const error = new Cls("m");
    expect(error).toBeInstanceOf(PorticoError);
    expect(error.code).toBe(code);
    expect(error.name).toBe(ERROR_CODES[code].className);
  });

  it("gives each code its own class name", () => {
    const names = CODES.map((code) => ERROR_CODES[code].className);
    expect(new Set(names).size).toBe(names.length);
  });

  it.each(CODES.filter((code) => ERROR_CODES[code].wire))(
    "%s: a client rebuilds the exported class from the wire",
    (code) => {
      const error = errorFromWire(500, { error: { code, message: "m" } }, "test");
      expect(error).toBeInstanceOf(requireClass(code));
      expect(error.code).toBe(code);
    },
  );
});
