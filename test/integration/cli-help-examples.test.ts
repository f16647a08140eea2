/**
 * Every example in the CLI's help must work as printed: each module a `portico serve` example
 * names resolves to a Service subclass (the top-level help once named `dist/services.js`, which
 * no installation has). `portico/samples` resolves to the built samples: run `npm run build`
 * before running this file alone.
 */
import { describe, expect, it } from "vitest";
import type { Command } from "commander";
import { createProgram } from "../../src/cli/program.js";
import { resolveServiceModule } from "../../src/cli/service-module.js";
import { toModuleSpecifier } from "../../src/launcher/module-specifier.js";

/** The help text of `command` as printed, `addHelpText` blocks included. */
function helpOf(command: Command): string {
  let text = "";
  command.configureOutput({ writeOut: (chunk) => void (text += chunk) });
  command.outputHelp();
  return text;
}

/** The help of the program and of each of its commands. */
function allHelp(): Map<string, string> {
  const program = createProgram({ stdout: { write: () => true }, stderr: { write: () => true } });
  const help = new Map([["portico", helpOf(program)]]);
  for (const command of program.commands) help.set(command.name(), helpOf(command));
  return help;
}

/** The `$ ...` lines of a help text. */
function exampleLines(help: string): string[] {
  return help
    .split("\n")
    .map((line) => /^\s+\$ (.*)$/.exec(line)?.[1])
    .filter((line): line is string => line !== undefined);
}

/** The module argument of each `portico serve` example. */
function servedModules(): string[] {
  const modules = new Set<string>();
  for (const help of allHelp().values()) {
    for (const line of exampleLines(help)) {
      const words = line.split(/\s+/);
      const at = words.findIndex((w, i) => w === "serve" && words[i - 1] === "portico");
      const module = words.slice(at + 1).find((w) => !w.startsWith("-"));
      if (at >= 0 && module) modules.add(module);
    }
  }
  return [...modules];
}

describe("help examples", () => {
  it("are printed by the top-level help and by every command's", () => {
    const help = allHelp();
    expect(exampleLines(help.get("portico") ?? "").length).toBeGreaterThan(0);
    for (const name of ["serve", "gateway", "apps", "register", "unregister", "call"]) {
      expect(exampleLines(help.get(name) ?? "").length, name).toBeGreaterThan(0);
    }
    expect(servedModules().length).toBeGreaterThan(1);
  });

  it.each(servedModules())("name a module that resolves to a Service: %s", async (spec) => {
    const resolved = await resolveServiceModule(spec);
    expect(typeof resolved.cls.prototype.serve).toBe("function");
  });

  it("name no file of this repository that a user of the package would not have", () => {
    for (const spec of servedModules()) {
      const module = toModuleSpecifier(spec.split("#")[0] ?? "");
      // A package specifier, resolved from the installed package, not from the working directory.
      expect(module.startsWith("file:"), spec).toBe(false);
    }
  });
});

describe("module specifiers", () => {
  it.each([
    ["portico/samples", "portico/samples"],
    ["@scope/pkg/sub", "@scope/pkg/sub"],
    ["https://example.com/x.js", "https://example.com/x.js"],
    ["file:///srv/x.js", "file:///srv/x.js"],
  ])("keeps %s as it is", (spec, expected) => {
    expect(toModuleSpecifier(spec, "/srv/app")).toBe(expected);
  });

  it.each([
    ["dist/services.js", "file:///srv/app/dist/services.js"],
    ["./services", "file:///srv/app/services"],
    ["/abs/x.ts", "file:///abs/x.ts"],
  ])("reads %s as a file path", (spec, expected) => {
    expect(toModuleSpecifier(spec, "/srv/app")).toBe(expected);
  });

  it("prefers a file that exists over a package of the same name", () => {
    expect(toModuleSpecifier("src", process.cwd())).toMatch(/^file:.*\/src$/);
  });
});
