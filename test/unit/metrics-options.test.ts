/**
 * The `metrics` option as the CLI gives it: `--no-metrics` on `serve` and `gateway` becomes
 * `metrics: false` (also for launched workers, through the JSON options), and nothing otherwise.
 */
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { addSecurityOptions, policyOptionsFrom } from "../../src/cli/security-options.js";
import type { SecurityFlags } from "../../src/cli/security-options.js";

function flags(...argv: string[]): SecurityFlags {
  const command = addSecurityOptions(new Command().exitOverride());
  command.parse(argv, { from: "user" });
  return command.opts<SecurityFlags>();
}

describe("--no-metrics", () => {
  it("turns metrics off, and leaves the default alone when absent", () => {
    expect(policyOptionsFrom(flags("--no-metrics")).metrics).toBe(false);
    expect(policyOptionsFrom(flags())).not.toHaveProperty("metrics");
  });
});
