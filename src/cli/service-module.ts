/**
 * Resolves `<module>[#Export]` to a Service subclass: a file path (relative to the working
 * directory), a URL or a package specifier (`portico/samples`), and the export to serve (by default the module's default export, or its
 * only Service subclass export).
 */
import { LaunchError } from "../index.js";
import type { ServiceClass } from "../index.js";
import { loadServiceClass } from "../launcher/child.js";
import { toModuleSpecifier } from "../launcher/module-specifier.js";

/** A service class and where it came from (what a launched worker needs to load it again). */
export interface ResolvedService {
  cls: ServiceClass;
  /** The module as a URL (`file:///srv/app/dist/services.js`) or a package specifier. */
  module: string;
  exportName: string;
}

/** Loads the Service subclass named by `spec` (`<module>[#Export]`). */
export async function resolveServiceModule(spec: string): Promise<ResolvedService> {
  const hash = spec.lastIndexOf("#");
  const path = hash > 0 ? spec.slice(0, hash) : spec;
  const module = toModuleSpecifier(path);
  const exportName = hash > 0 ? spec.slice(hash + 1) : await pickExport(module);
  const cls = await loadServiceClass({ module, exportName });
  return { cls, module, exportName };
}

async function pickExport(module: string): Promise<string> {
  let exports: Record<string, unknown>;
  try {
    exports = (await import(module)) as Record<string, unknown>;
  } catch (cause) {
    throw new LaunchError(`Cannot import ${module}: ${(cause as Error).message}`, { cause });
  }
  if (isServiceClass(exports.default)) return "default";
  const names = Object.keys(exports).filter((name) => isServiceSubclass(exports[name]));
  if (names.length === 1) return names[0] as string;
  if (names.length === 0) {
    throw new LaunchError(`${module} exports no Service subclass`);
  }
  throw new LaunchError(
    `${module} exports several Service subclasses (${names.join(", ")}): pick one with <module>#${names[0]}`,
    { data: { exports: names } },
  );
}

/** Duck-typed, as the launcher does: the module may load its own copy of portico. */
function isServiceClass(value: unknown): value is ServiceClass {
  return (
    typeof value === "function" &&
    typeof (value.prototype as { serve?: unknown } | undefined)?.serve === "function"
  );
}

/** A service class that extends another one, so the `Service` base itself is left out. */
function isServiceSubclass(value: unknown): boolean {
  return isServiceClass(value) && isServiceClass(Object.getPrototypeOf(value));
}
