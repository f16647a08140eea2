/**
 * The console's built files (`dist/console`, made by `npm run build`), read once and kept in
 * memory: one small HTML page and a few hashed assets.
 */
import { readFile, readdir } from "node:fs/promises";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";

/** One asset, ready to send. */
export interface ConsoleAsset {
  body: Buffer;
  type: string;
}

/** The page and its assets by file name. */
export interface ConsoleFiles {
  index: Buffer;
  assets: ReadonlyMap<string, ConsoleAsset>;
}

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".woff2": "font/woff2",
};

/**
 * Where the built files are: next to the compiled gateway in the package (`dist/console`), or,
 * when this module runs from source (tests, tsx), in the repository's `dist/console`.
 */
export function consoleDir(moduleUrl: string = import.meta.url): string {
  const relative = moduleUrl.endsWith(".ts") ? "../../../dist/console/" : "../../console/";
  return fileURLToPath(new URL(relative, moduleUrl));
}

/** Reads the built console from `dir`; undefined when it is not there (not built). */
export async function readConsoleFiles(dir: string): Promise<ConsoleFiles | undefined> {
  let index: Buffer;
  let names: string[];
  try {
    index = await readFile(`${dir}index.html`);
    names = await readdir(`${dir}assets`);
  } catch {
    return undefined;
  }
  const assets = new Map<string, ConsoleAsset>();
  for (const name of names) {
    const type = TYPES[extname(name)];
    if (type) assets.set(name, { body: await readFile(`${dir}assets/${name}`), type });
  }
  return { index, assets };
}

/** The files of `dir`, read on first use; a failed read (not built) is tried again next time. */
export function consoleFilesOf(dir: string): () => Promise<ConsoleFiles | undefined> {
  let files: Promise<ConsoleFiles | undefined> | undefined;
  return async () => {
    const read = (files ??= readConsoleFiles(dir));
    const result = await read;
    if (!result && files === read) files = undefined;
    return result;
  };
}
