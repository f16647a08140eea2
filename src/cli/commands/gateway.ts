/**
 * `portico gateway`: serves a Gateway (in-memory registry) in this process until SIGINT/SIGTERM
 * or a call to its shutdown endpoint.
 */
import type { Command } from "commander";
import { Gateway } from "../../index.js";
import type { GatewayOptions } from "../../index.js";
import type { CliIo } from "../io.js";
import { addListenOptions, examples, parseMs } from "../options.js";
import { serveInProcess } from "../run-server.js";
import {
  addGatewayLimitOptions,
  addSecurityOptions,
  gatewayOptionsFrom,
} from "../security-options.js";
import type { GatewayFlags } from "../security-options.js";

/** What `gateway` parses its flags into. */
export interface GatewayCommandOptions extends GatewayFlags {
  host: string;
  port: number;
  upstreamTimeout: number;
  discoveryTimeout: number;
}

/** The examples of `gateway --help`. */
export const GATEWAY_EXAMPLES = [
  "portico gateway --port 8000",
  "portico register echoer http://127.0.0.1:8080 --gateway http://127.0.0.1:8000",
  "PORTICO_ADMIN_TOKEN=$(cat admin.token) portico gateway --host 0.0.0.0 --allowed-host gw.example.com --allow-upstream 10.0.0.0/8",
];

/** The GatewayOptions the parsed flags of `gateway` stand for. */
export function gatewayCommandOptions(options: GatewayCommandOptions): GatewayOptions {
  return {
    ...gatewayOptionsFrom(options),
    upstreamTimeout: options.upstreamTimeout,
    discoveryTimeout: options.discoveryTimeout,
  };
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
    );
  addGatewayLimitOptions(addSecurityOptions(command))
    .addHelpText("after", examples(...GATEWAY_EXAMPLES))
    .action(async (options: GatewayCommandOptions) => {
      const gateway = new Gateway(gatewayCommandOptions(options));
      await serveInProcess(gateway, { host: options.host, port: options.port }, io);
    });
}
