import { describe, expect, it } from "vitest";
import { CONNECT_FAILED, isConnectFailure } from "../../src/gateway/upstream/failover.js";

/** An error with a code, wrapping `cause`. */
function coded(code: string | undefined, cause?: unknown): Error {
  return Object.assign(new Error(`failed (${code ?? "no code"})`, { cause }), { code });
}

describe("isConnectFailure: did the call never reach the app?", () => {
  it("is true for every connect code, on the error or up to three causes down", () => {
    for (const code of CONNECT_FAILED) {
      expect(isConnectFailure(coded(code)), code).toBe(true);
      // fetch's TypeError("fetch failed") wraps undici's error; an SDK may wrap fetch's.
      expect(isConnectFailure(new TypeError("fetch failed", { cause: coded(code) }))).toBe(true);
      expect(
        isConnectFailure(coded(undefined, coded(undefined, coded(undefined, coded(code))))),
      ).toBe(true);
    }
  });

  it("is false for a call that may have reached the app, and for messages without a code", () => {
    for (const code of ["ECONNRESET", "EPIPE", "UND_ERR_SOCKET", "UND_ERR_HEADERS_TIMEOUT"]) {
      expect(isConnectFailure(coded(code)), code).toBe(false);
      expect(isConnectFailure(new TypeError("fetch failed", { cause: coded(code) }))).toBe(false);
    }
    expect(isConnectFailure(new TypeError("fetch failed"))).toBe(false);
    expect(isConnectFailure(new Error("ECONNREFUSED in a message only"))).toBe(false);
    expect(
      isConnectFailure(
        coded(
          undefined,
          coded(undefined, coded(undefined, coded(undefined, coded("ECONNREFUSED")))),
        ),
      ),
    ).toBe(false);
    for (const value of [undefined, null, "ECONNREFUSED", 42, { code: 42 }]) {
      expect(isConnectFailure(value)).toBe(false);
    }
  });
});
