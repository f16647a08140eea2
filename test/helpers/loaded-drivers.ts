/**
 * Run as a child process (`node --import tsx loaded-drivers.ts URL...`): imports the root entry,
 * then opens each registry URL in turn, and prints as JSON which optional drivers (ioredis,
 * better-sqlite3) are loaded after each step.
 *
 * How it knows: both drivers are CommonJS packages, and Node loads CommonJS through one module
 * cache (`require.cache`) even when ESM imports it, so a driver file in that cache means the
 * driver was loaded. A control step (a URL that uses the driver) proves the probe sees it.
 */
import { createRequire } from "node:module";

const DRIVERS = ["ioredis", "better-sqlite3"];

function loadedDrivers(): string[] {
  const files = Object.keys(createRequire(import.meta.url).cache);
  return DRIVERS.filter((name) => files.some((file) => file.includes(`/node_modules/${name}/`)));
}

await import("../../src/index.js");
const steps: Record<string, string[]> = { "src/index": loadedDrivers() };
const { createRegistry } = await import("../../src/registry/create-registry.js");
for (const url of process.argv.slice(2)) {
  // Opening may fail (nothing listens at a test Redis URL): loading the driver is what counts.
  await createRegistry(url).then(
    (registry) => registry.close(),
    () => undefined,
  );
  steps[url] = loadedDrivers();
}
console.log(JSON.stringify(steps));
