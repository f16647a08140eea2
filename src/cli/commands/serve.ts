/**
 * `portico serve <module>[#Export]`: serves a Service subclass exported by a module, in this
 * process or, with `--workers N`, as a launched group of N processes sharing the port.
 */
import type { Command } from "commander";
import type { CliIo } from "../io.js";
import { addListenOptions, examples, integerIn } from "../options.js";
import { launchWorkers, serveInProcess } from "../run-server.js";
import { resolveServiceModule } from "../service-module.js";

interface ServeCommandOptions {
  host: string;
  port: number;
  workers: number;
}

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
      "module file or URL, optionally with '#Export' (default: the default export, or the " +
        "module's only Service subclass export)",
    );
  addListenOptions(command)
    .option(
      "--workers <n>",
      "processes sharing the port; more than 1 launches a process group (node:cluster)",
      integerIn(1, 64),
      1,
    )
    .addHelpText(
      "after",
      examples(
        "portico serve dist/services.js#OrderService --port 8080",
        "portico serve node_modules/portico/dist/samples/index.js#EchoService --workers 4",
      ),
    )
    .action(async (spec: string, options: ServeCommandOptions) => {
      const target = await resolveServiceModule(spec);
      const at = { host: options.host, port: options.port };
      if (options.workers > 1) {
        await launchWorkers(target, { ...at, workers: options.workers }, io);
        return;
      }
      await serveInProcess(new target.cls(), at, io);
    });
}
