/**
 * Runs a node child process to its end and reads the JSON report it printed last: for checks
 * that need a fresh module cache (which modules an import or a request loads).
 */
import { spawn } from "node:child_process";
import type { SpawnOptions } from "node:child_process";
import { once } from "node:events";

/**
 * Runs `node ...args` and resolves to the last stdout line parsed as JSON; rejects, with `name`
 * and the child's stderr, when it exits with anything but 0.
 * @example
 * const report = await childReport<Report>("the child", ["--import", "tsx", SCRIPT, url]);
 */
export async function childReport<T>(
  name: string,
  args: string[],
  options: SpawnOptions = {},
): Promise<T> {
  const child = spawn(process.execPath, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => (err += chunk));
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`${name} exited with ${code}: ${err}`);
  return JSON.parse(out.trim().split("\n").at(-1)!) as T;
}
