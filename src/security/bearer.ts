/**
 * Bearer tokens compared in constant time: a wrong guess takes as long as a right one, whatever
 * prefix it shares with the token.
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** A configured token, kept as its SHA-256 so every comparison is of equal length. */
export class BearerToken {
  private readonly digest: Buffer;

  constructor(token: string) {
    this.digest = sha256(token);
  }

  /** True when `authorization` is `Bearer <this token>` (scheme in any case). */
  matches(authorization: string): boolean {
    if (authorization.length < 8 || authorization.slice(0, 7).toLowerCase() !== "bearer ") {
      return false;
    }
    return timingSafeEqual(sha256(authorization.slice(7)), this.digest);
  }
}

function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
