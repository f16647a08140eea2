/**
 * Says loudly, after vitest's own summary, which tests were skipped because a system service they
 * need is not installed here (CI installs them and sets the variable that makes them required).
 */
import { spawnSync } from "node:child_process";
import type { Reporter } from "vitest/reporters";

/** Services some tests need, with the variable that makes them required. */
const SERVICES = [
  {
    commands: ["redis-server"],
    required: "PORTICO_REQUIRE_REDIS",
    tests: "Redis",
    pkg: "redis-server",
  },
  // The page tests drive Debian's chromium with playwright-core (test/helpers/browser.ts).
  {
    commands: ["chromium", "chromium-browser"],
    required: "PORTICO_REQUIRE_BROWSER",
    tests: "browser (page)",
    pkg: "chromium",
  },
];

function installed(command: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${command}`], { stdio: "ignore" }).status === 0;
}

export default class MissingServicesReporter implements Reporter {
  onFinished(): void {
    const missing = SERVICES.filter(
      (service) =>
        !service.commands.some(installed) &&
        !(service.pkg === "chromium" && process.env.PORTICO_CHROMIUM),
    );
    if (missing.length === 0) return;
    const line = "!".repeat(78);
    const lines = missing.map(
      (s) =>
        `!! SKIPPED: the ${s.tests} tests, because \`${s.commands[0]}\` is not installed here.\n` +
        `!! Install it (e.g. apt-get install ${s.pkg}) to run them; CI sets ${s.required}=1,\n` +
        `!! which makes them required.`,
    );
    process.stdout.write(`\n${line}\n${lines.join("\n")}\n${line}\n`);
  }
}
