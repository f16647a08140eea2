/**
 * Process entry of a launched service: `node child-entry.js '<json config>'`.
 */
import { parseChildConfig, reportFailure, runChild } from "./child.js";

try {
  await runChild(parseChildConfig(process.argv[2]));
} catch (error) {
  await reportFailure(error);
  process.exit(1);
}
