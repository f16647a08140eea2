import { describe, expect, it } from "vitest";
import {
  ERROR_CODES,
  PorticoError,
  RemoteError,
  ServiceUnavailableError,
  ValidationError,
  errorFromWire,
  isErrorCode,
} from "../../src/errors.js";
import type { ErrorCode } from "../../src/errors.js";
import { WIRE_ERROR_CLASSES, codesWhere } from "../helpers/wire-errors.js";

const CONTEXT = "POST http://127.0.0.1:1/x";

describe("errorFromWire", () => {
  it("has an expected class for exactly the wire codes of the catalogue", () => {
    expect(Object.keys(WIRE_ERROR_CLASSES).sort()).toEqual(codesWhere(true).sort());
  });

  it.each(Object.entries(WIRE_ERROR_CLASSES))("rebuilds %s as its own class", (code, Cls) => {
    const body = { error: { code, message: "from the server", data: { n: 1 } } };
    const error = errorFromWire(418, body, CONTEXT);
    expect(error).toBeInstanceOf(Cls);
    expect(error).toBeInstanceOf(PorticoError);
    expect(error.code).toBe(code);
    expect(error.status).toBe(418);
    expect(error.data).toEqual({ n: 1 });
  });

  it("rebuilds VALIDATION_FAILED with its issues", () => {
    const issues = [{ path: ["message"], message: "expected string", code: "invalid_type" }];
    const body = { error: { code: "VALIDATION_FAILED", message: "bad", data: { issues } } };
    const error = errorFromWire(422, body, CONTEXT) as ValidationError;
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.issues).toEqual(issues);
  });

  it.each(["NOT_A_CODE", ...codesWhere(false)])(
    "turns the unknown or local code %s into a RemoteError keeping status and code",
    (code) => {
      const body = { error: { code, message: "odd" } };
      const error = errorFromWire(503, body, CONTEXT);
      expect(error).toBeInstanceOf(RemoteError);
      expect(error.code).toBe("REMOTE_ERROR");
      expect(error.status).toBe(503);
      expect(error.data).toEqual({ code, body });
    },
  );

  it.each([["<h1>Bad Gateway</h1>"], [{ detail: "not ours" }], [null], [undefined]])(
    "turns the foreign body %j into a RemoteError",
    (body) => {
      const error = errorFromWire(502, body, CONTEXT);
      expect(error).toBeInstanceOf(RemoteError);
      expect(error.status).toBe(502);
      expect(error.data).toEqual({ body });
    },
  );
});

describe("PorticoError", () => {
  it("takes status and retryable from the catalogue for every code", () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const error = new PorticoError(code, "m");
      expect(error.status).toBe(ERROR_CODES[code].status);
      expect(error.retryable).toBe(ERROR_CODES[code].retryable);
    }
  });

  it("marks transient failures retryable and caller mistakes not", () => {
    expect(new ServiceUnavailableError("down").retryable).toBe(true);
    expect(new ValidationError("bad").retryable).toBe(false);
  });

  it("toJSON gives the wire body, with data only when there is some", () => {
    expect(new ServiceUnavailableError("down").toJSON()).toEqual({
      error: { code: "SERVICE_UNAVAILABLE", message: "down" },
    });
    const withData = new ServiceUnavailableError("down", { data: { url: "u" } });
    expect(JSON.parse(JSON.stringify(withData))).toEqual({
      error: { code: "SERVICE_UNAVAILABLE", message: "down", data: { url: "u" } },
    });
  });

  it("keeps cause, names itself after its class, and may override status", () => {
    const cause = new Error("root");
    const error = new ServiceUnavailableError("down", { cause, status: 599 });
    expect(error.cause).toBe(cause);
    expect(error.name).toBe("ServiceUnavailableError");
    expect(error.status).toBe(599);
  });

  it("ValidationError carries issues in data", () => {
    const issues = [{ path: ["a"], message: "m" }];
    const error = new ValidationError("bad", { issues });
    expect(error.issues).toEqual(issues);
    expect(error.toJSON().error.data).toEqual({ issues });
  });

  it("isErrorCode knows the catalogue and nothing else", () => {
    expect(isErrorCode("VALIDATION_FAILED")).toBe(true);
    expect(isErrorCode("toString")).toBe(false);
    expect(isErrorCode(42)).toBe(false);
  });
});
