/**
 * `portico serve <module>[#Export]`: serves a Service subclass exported by a module, in this
 * process or, with `--workers N`, as a launched group of N processes sharing the port.
 */
import type { Command } from "commander";
import type { CliIo } from "../io.js";
import { addListenOptions, examples, integerIn } from "../options.js";
import { launchWorkers, serveInProcess } from "../run-server.js";
import {
  addSecurityOptions,
  checkTokens,
  policyOptionsFrom,
  serviceOptionsFrom,
} from "../security-options.js";
import type { SecurityFlags } from "../security-options.js";
import { resolveServiceModule } from "../service-module.js";

/** What `serve` parses its flags into. */
export interface ServeCommandOptions extends SecurityFlags {
  host: string;
  port: number;
  workers: number;
}

/** The examples of `serve --help` (a test checks that every module they name resolves). */
export const SERVE_EXAMPLES = [
  "portico serve portico/samples#EchoService --port 8080",
  "portico serve portico/samples --workers 4 --rate-limit 600",
  "PORTICO_ADMIN_TOKEN=$(cat admin.token) portico serve portico/samples --host 0.0.0.0 --allowed-host api.example.com",
];

/** Adds the `serve` command to `program`. */
export function registerServe(program: Command, io: CliIo): void {
  const command = program
    .command("serve")
    .summary("serve a Service subclass exported by a module")
    .description(
      "Serve a Service subclass exported by a module until SIGINT/SIGTERM or a call to its " +
        "shutdown endpoint, then close gracefully. Prints 'Serving <Class> at <url>'.",
    )
    .argument(
      "<module>",
      "module file, URL or package specifier (portico/samples), optionally with '#Export' " +
        "(default: the default export, or the module's only Service subclass export)",
    );
  addSecurityOptions(
    addListenOptions(command).option(
      "--workers <n>",
      "processes sharing the port; more than 1 launches a process group (node:cluster)",
      integerIn(1, 64),
      1,
    ),
  )
    .addHelpText("after", examples(...SERVE_EXAMPLES))
    .action(async (spec: string, options: ServeCommandOptions) => {
      checkTokens(options);
      const target = await resolveServiceModule(spec);
      const at = { host: options.host, port: options.port };
      if (options.workers > 1) {
        // Tokens reach the workers through their environment, never their command line.
        await launchWorkers(target, { ...at, workers: options.workers }, io, {
          adminToken: options.adminToken,
          callToken: options.callToken,
          serviceOptions: policyOptionsFrom(options),
        });
        return;
      }
      await serveInProcess(new target.cls(serviceOptionsFrom(options)), at, io);
    });
}
