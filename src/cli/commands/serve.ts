/**
 * `portico serve <module>[#Export]`: serves a Service subclass exported by a module, in this
 * process or, with `--workers N`, as a launched group of N processes sharing the port.
 */
import type { Command } from "commander";
import { assertToken } from "../../client/transport.js";
import { InvalidOptionsError } from "../../index.js";
import type { CliIo } from "../io.js";
import { addLogOption, inProcessLogger, workerLogger } from "../log-options.js";
import type { LogFlags } from "../log-options.js";
import { addListenOptions, addRegistrationOptions, examples, integerIn } from "../options.js";
import type { RegistrationFlags } from "../options.js";
import { launchWorkers, serveInProcess } from "../run-server.js";
import type { Registration } from "../run-server.js";
import {
  addSecurityOptions,
  checkTokens,
  policyOptionsFrom,
  serviceOptionsFrom,
} from "../security-options.js";
import type { SecurityFlags } from "../security-options.js";
import { resolveServiceModule } from "../service-module.js";

/** What `serve` parses its flags into. */
export interface ServeCommandOptions extends SecurityFlags, RegistrationFlags, LogFlags {
  host: string;
  port: number;
  workers: number;
}

/** The examples of `serve --help` (a test checks that every module they name resolves). */
export const SERVE_EXAMPLES = [
  "portico serve portico/samples#EchoService --port 8080",
  "portico serve portico/samples --workers 4 --rate-limit 600",
  "portico serve portico/samples --gateway http://127.0.0.1:8000 --name echoer",
  "PORTICO_ADMIN_TOKEN=$(cat admin.token) portico serve portico/samples --host 0.0.0.0 --allowed-host api.example.com",
];

/** Adds the `serve` command to `program`. */
export function registerServe(program: Command, io: CliIo): void {
  const command = program
    .command("serve")
    .summary("serve a Service subclass exported by a module")
    .description(
      "Serve a Service subclass exported by a module until SIGINT/SIGTERM or a call to its " +
        "shutdown endpoint, then close gracefully. Prints 'Serving <Class> at <url>'. With " +
        "--gateway and --name it registers itself there as an instance with a lease, renews it, " +
        "and unregisters when it stops.",
    )
    .argument(
      "<module>",
      "module file, URL or package specifier (portico/samples), optionally with '#Export' " +
        "(default: the default export, or the module's only Service subclass export)",
    );
  addLogOption(
    addRegistrationOptions(
      addSecurityOptions(
        addListenOptions(command).option(
          "--workers <n>",
          "processes sharing the port; more than 1 launches a process group (node:cluster)",
          integerIn(1, 64),
          1,
        ),
      ),
    ),
  )
    .addHelpText("after", examples(...SERVE_EXAMPLES))
    .action(async (spec: string, options: ServeCommandOptions) => {
      checkTokens(options);
      const registration = registrationFrom(options);
      const target = await resolveServiceModule(spec);
      const at = { host: options.host, port: options.port };
      if (options.workers > 1) {
        // Tokens reach the workers through their environment, never their command line.
        await launchWorkers(target, { ...at, workers: options.workers }, io, {
          adminToken: options.adminToken,
          callToken: options.callToken,
          serviceOptions: { ...policyOptionsFrom(options), ...workerLogger(options) },
          ...registration,
        });
        return;
      }
      await serveInProcess(
        new target.cls({ ...serviceOptionsFrom(options), ...inProcessLogger(options, io) }),
        { ...at, ...registration },
        io,
      );
    });
}

/** The self-registration flags, checked: `--gateway` and `--name` go together. */
function registrationFrom(flags: RegistrationFlags): Registration {
  const { gateway, name, leaseMs, advertiseUrl, gatewayToken } = flags;
  const rest = leaseMs !== undefined || advertiseUrl !== undefined;
  if (gateway === undefined && name === undefined && !rest) return {};
  if (gateway === undefined || name === undefined) {
    throw new InvalidOptionsError(
      "--gateway and --name go together (--lease-ms and --advertise-url need both)",
    );
  }
  if (gatewayToken !== undefined) assertToken(gatewayToken, "--gateway-token");
  return Object.fromEntries(
    Object.entries({ gateway, name, leaseMs, advertiseUrl, gatewayToken }).filter(
      ([, value]) => value !== undefined,
    ),
  );
}
