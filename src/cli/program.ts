/**
 * The `portico` command line: a commander program over the public API. `createProgram` builds it
 * (throwing instead of exiting, so tests run it in-process); `runCli` runs it and reports errors.
 */
import { packageVersion } from "../version.js";
import { Command } from "commander";
import { registerAppCommands } from "./commands/apps.js";
import { registerCall } from "./commands/call.js";
import { registerEvents } from "./commands/events.js";
import { registerGateway } from "./commands/gateway.js";
import { registerServe } from "./commands/serve.js";
import { processIo } from "./io.js";
import type { CliIo } from "./io.js";
import { reportError } from "./report.js";
import { examples } from "./options.js";

/** The examples of `portico --help` (a test checks that every module they name resolves). */
export const OVERVIEW_EXAMPLES = [
  "portico serve portico/samples#EchoService --port 8080",
  "portico gateway --port 8000",
  "portico register echoer http://127.0.0.1:8080 --gateway http://127.0.0.1:8000",
  `portico call http://127.0.0.1:8000/echoer echo '{"message":"hi"}'`,
];

const OVERVIEW = examples(...OVERVIEW_EXAMPLES);

/**
 * Builds the program. Commander's own error output is silenced: `runCli` prints every error in
 * one format. With `exitOverride()`, parse errors, `--help` and `--version` throw `CommanderError`.
 * @example
 * await createProgram({ stdout, stderr }).parseAsync(["apps", "--gateway", url], { from: "user" });
 */
export function createProgram(io: CliIo = processIo()): Command {
  const program = new Command("portico")
    .description("Serve Portico services and gateways, manage a gateway's apps, call endpoints.")
    .version(packageVersion(), "--version", "print the version")
    .option("--verbose", "on errors, also print stack traces, causes and error data")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void io.stdout.write(text),
      writeErr: (text) => void io.stderr.write(text),
      outputError: () => undefined,
    })
    .showSuggestionAfterError()
    .addHelpText("after", OVERVIEW);
  registerServe(program, io);
  registerGateway(program, io);
  registerAppCommands(program, io);
  registerEvents(program, io);
  registerCall(program, io);
  return program;
}

/**
 * Runs the command line `argv` (arguments only, without `node` and the script) and resolves with
 * the exit code: 0, 1 for runtime errors, 2 for usage errors. Never throws.
 * @example
 * process.exitCode = await runCli(process.argv.slice(2));
 */
export async function runCli(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const program = createProgram(io);
  let command: string | undefined;
  program.hook("preSubcommand", (_program, subcommand) => {
    command = subcommand.name();
  });
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (error) {
    const verbose = program.opts<{ verbose?: boolean }>().verbose === true;
    return reportError(error, { stderr: io.stderr, verbose, command });
  }
}
