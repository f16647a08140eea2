/**
 * What `launch({ module })` and `portico serve <module>` accept: a URL, a file path (relative to
 * the working directory), or a package specifier such as `portico/samples`. A package specifier
 * is left for `import()` to resolve from Portico's own location: Portico's subpaths (it may import
 * itself by name) and the packages installed alongside it.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** `pkg`, `pkg/sub`, `@scope/pkg/sub`: no leading `.` or `/`, no drive letter. */
const BARE = /^(@[a-z0-9][\w.-]*\/)?[a-z0-9][\w.-]*(\/[\w.-]+)*$/i;
/** A last segment like `services.js`: a file the user meant, even when it is missing. */
const FILE_EXTENSION = /\.(?:[cm]?[jt]sx?|json)$/i;

/** The specifier to `import()`: the URL as given, a package specifier, or a file URL. */
export function toModuleSpecifier(text: string, cwd: string = process.cwd()): string {
  // Two letters at least: `C:\x` is a path.
  if (/^[a-z][a-z0-9+.-]+:/i.test(text)) return text;
  const path = resolve(cwd, text);
  if (BARE.test(text) && !FILE_EXTENSION.test(text) && !existsSync(path)) return text;
  return pathToFileURL(path).href;
}
