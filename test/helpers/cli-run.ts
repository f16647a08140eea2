/**
 * Runs the `portico` command line in this process and collects what it printed.
 */
import { runCli } from "../../src/cli/program.js";

/** The exit code and output of one command line. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `portico <args>` in-process. */
export async function cli(...args: string[]): Promise<CliRun> {
  const run = { stdout: "", stderr: "" };
  const code = await runCli(args, {
    stdout: { write: (text: string) => (run.stdout += text) },
    stderr: { write: (text: string) => (run.stderr += text) },
  });
  return { code, ...run };
}
