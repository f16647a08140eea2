/**
 * Loads a backend's driver (better-sqlite3, ioredis) only when its URL is used, so that the root
 * entry never pulls them in, and turns a missing package into an error that says what to install.
 */
import { InvalidOptionsError } from "../errors.js";

/** `import(specifier)`, or an INVALID_OPTIONS error naming the package when it is not installed. */
export async function loadOptional<TModule>(specifier: string, install: string): Promise<TModule> {
  try {
    return (await import(specifier)) as TModule;
  } catch (error) {
    if (!isMissing(error, specifier)) throw error;
    throw new InvalidOptionsError(
      `This registry needs the package ${specifier}, which is not installed: npm install ${install}`,
      { cause: error, data: { package: specifier, install } },
    );
  }
}

function isMissing(error: unknown, specifier: string): boolean {
  const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
  return (
    (code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND") &&
    typeof message === "string" &&
    message.includes(`'${specifier}'`)
  );
}
