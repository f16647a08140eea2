/**
 * Assertions on Portico errors: by class and `.code`, never by message text.
 */
import { expect } from "vitest";
import type { ErrorCode, PorticoError } from "../../src/errors.js";

type ErrorClass<E> = abstract new (...args: never[]) => E;

/** Checks `error` is an instance of `Cls` carrying `code`, and returns it typed. */
export function expectCode<E extends PorticoError>(
  error: unknown,
  Cls: ErrorClass<E>,
  code: ErrorCode,
): E {
  expect(error).toBeInstanceOf(Cls);
  expect((error as E).code).toBe(code);
  return error as E;
}

/** Runs `fn` and checks it throws an instance of `Cls` carrying `code`. */
export function expectThrows<E extends PorticoError>(
  fn: () => unknown,
  Cls: ErrorClass<E>,
  code: ErrorCode,
): E {
  let thrown: unknown = new Error("did not throw");
  try {
    fn();
  } catch (error) {
    thrown = error;
  }
  return expectCode(thrown, Cls, code);
}

/** Awaits `promise` and checks it rejects with an instance of `Cls` carrying `code`. */
export async function expectRejects<E extends PorticoError>(
  promise: Promise<unknown>,
  Cls: ErrorClass<E>,
  code: ErrorCode,
): Promise<E> {
  let rejected: unknown = new Error("did not reject");
  await promise.then(
    () => undefined,
    (error: unknown) => (rejected = error),
  );
  return expectCode(rejected, Cls, code);
}
