/**
 * `portico gateway`: serves a Gateway (in-memory registry) in this process until SIGINT/SIGTERM
 * or a call to its shutdown endpoint.
 */
import type { Command } from "commander";
import { Gateway } from "../../index.js";
import type { CliIo } from "../io.js";
import { addListenOptions, examples, parseMs } from "../options.js";
import { serveInProcess } from "../run-server.js";

interface GatewayCommandOptions {
  host: string;
  port: number;
  upstreamTimeout: number;
  discoveryTimeout: number;
}

/** Adds the `gateway` command to `program`. */
export function registerGateway(program: Command, io: CliIo): void {
  const command = program
    .command("gateway")
    .summary("serve a Gateway")
    .description(
      "Serve a Gateway in this process: apps register with it and it forwards /<app>/<path> to " +
        "them. Registrations live in memory. Runs until SIGINT/SIGTERM or a call to its " +
        "shutdown endpoint. Prints 'Serving Gateway at <url>'.",
    );
  addListenOptions(command)
    .option(
      "--upstream-timeout <ms>",
      "milliseconds an app may take to answer a forwarded call (then 504 UPSTREAM_TIMEOUT)",
      parseMs,
      30_000,
    )
    .option(
      "--discovery-timeout <ms>",
      "milliseconds to fetch an app's detailed_endpoints when it registers",
      parseMs,
      5_000,
    )
    .addHelpText(
      "after",
      examples(
        "portico gateway --port 8000",
        "portico register echoer http://127.0.0.1:8080 --gateway http://127.0.0.1:8000",
      ),
    )
    .action(async (options: GatewayCommandOptions) => {
      const gateway = new Gateway({
        upstreamTimeout: options.upstreamTimeout,
        discoveryTimeout: options.discoveryTimeout,
      });
      await serveInProcess(gateway, { host: options.host, port: options.port }, io);
    });
}
