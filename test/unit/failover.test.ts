import { describe, expect, it } from "vitest";
import {
  CONNECTION_BROKE,
  CONNECT_FAILED,
  isConnectFailure,
  isConnectionBroken,
  isReplayable,
} from "../../src/gateway/upstream/failover.js";

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

describe("isConnectionBroken: did the connection break after the request may have left?", () => {
  it("is true for a reset or a closed socket, also wrapped by fetch; false for a connect failure", () => {
    for (const code of CONNECTION_BROKE) {
      expect(isConnectionBroken(coded(code)), code).toBe(true);
      expect(isConnectionBroken(new TypeError("fetch failed", { cause: coded(code) }))).toBe(true);
    }
    expect(isConnectionBroken(coded("ECONNREFUSED"))).toBe(false);
    expect(isConnectionBroken(new TypeError("fetch failed"))).toBe(false);
  });
});

describe("isReplayable: may a call of this endpoint be repeated?", () => {
  it("only when it says it is idempotent or read-only", () => {
    expect(isReplayable({ annotations: { idempotent: true } })).toBe(true);
    expect(isReplayable({ annotations: { read_only: true } })).toBe(true);
    expect(isReplayable({ annotations: { idempotent: false, destructive: true } })).toBe(false);
    expect(isReplayable({ annotations: {} })).toBe(false);
    expect(isReplayable({})).toBe(false);
  });

  it("else by its HTTP method, unless it says it is not idempotent", () => {
    for (const method of ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]) {
      expect(isReplayable({}, method), method).toBe(true);
      expect(isReplayable({ annotations: { idempotent: false } }, method), method).toBe(false);
    }
    expect(isReplayable({}, "POST")).toBe(false);
    expect(isReplayable({}, "PATCH")).toBe(false);
    expect(isReplayable({ annotations: { read_only: true } }, "POST")).toBe(true);
  });
});
