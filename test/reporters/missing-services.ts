/**
 * Says loudly, after vitest's own summary, which tests were skipped because a system service they
 * need is not installed here (CI installs them and sets the variable that makes them required).
 */
import { spawnSync } from "node:child_process";
import type { Reporter } from "vitest/reporters";

/** Services some tests need, with the variable that makes them required. */
const SERVICES = [{ command: "redis-server", required: "PORTICO_REQUIRE_REDIS", tests: "Redis" }];

function installed(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

export default class MissingServicesReporter implements Reporter {
  onFinished(): void {
    const missing = SERVICES.filter((service) => !installed(service.command));
    if (missing.length === 0) return;
    const line = "!".repeat(78);
    const lines = missing.map(
      (s) =>
        `!! SKIPPED: the ${s.tests} tests, because \`${s.command}\` is not installed here.\n` +
        `!! Install it (e.g. apt-get install ${s.command}) to run them; CI sets ${s.required}=1,\n` +
        `!! which makes them required.`,
    );
    process.stdout.write(`\n${line}\n${lines.join("\n")}\n${line}\n`);
  }
}
