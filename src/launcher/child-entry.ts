/**
 * Process entry of a launched service: `node child-entry.js '<json config>'`.
 */
import { parseChildConfig, runChild } from "./child.js";

try {
  await runChild(parseChildConfig(process.argv[2]));
} catch (error) {
  process.stderr.write(`${(error as Error)?.stack ?? String(error)}\n`);
  process.exit(1);
}
