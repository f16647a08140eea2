/**
 * The gateway's app registry from the command line: `apps`, `register` and `unregister`, each a
 * short-lived gateway client (`Gateway.connect`) closed before the command returns. `apps --watch`
 * keeps its client and reprints the list on every change the gateway's `/events` stream reports.
 */
import type { Command } from "commander";
import { EndpointNotFoundError, Gateway, PorticoError } from "../../index.js";
import type { AppInfo, GatewayClient } from "../../index.js";
import type { GatewayEvent } from "../event-stream.js";
import { writeLine } from "../io.js";
import type { CliIo } from "../io.js";
import { addGatewayOptions, examples, parseHttpUrl } from "../options.js";
import { checkTokens } from "../security-options.js";
import { followUntilStopped } from "./events.js";

interface GatewayCommandOptions {
  gateway: string;
  timeout: number;
  token?: string;
}

/** Adds `apps`, `register` and `unregister` to `program`. */
export function registerAppCommands(program: Command, io: CliIo): void {
  addGatewayOptions(
    program
      .command("apps")
      .summary("list the apps registered with a gateway")
      .description("List the apps registered with a gateway: name, URL and endpoint names.")
      .option("--json", "print JSON: [{ name, url, endpoints: [names] }]")
      .option(
        "--watch",
        "print the list, then again on every change, until SIGINT (with --json: one array a line)",
      ),
  )
    .addHelpText(
      "after",
      examples(
        "portico apps --gateway http://127.0.0.1:8000 --json",
        "portico apps --gateway http://127.0.0.1:8000 --watch",
      ),
    )
    .action(async (options: AppsCommandOptions) => {
      if (options.watch) return watchApps(io, options);
      const apps = await withGateway(options, (gw) => gw.registeredApps());
      printApps(io, apps, { json: options.json === true });
    });

  addGatewayOptions(
    program
      .command("register")
      .summary("register an app with a gateway")
      .description(
        "Register (or replace) an app with a gateway, which then forwards <gateway>/<name>/... " +
          "to the app and fetches its endpoint schemas.",
      )
      .argument("<name>", "app name: letters, digits, '_' and '-', starting with a letter")
      .argument("<url>", "base URL of the app", parseHttpUrl),
  )
    .addHelpText(
      "after",
      examples("portico register echoer http://127.0.0.1:8080 --gateway http://127.0.0.1:8000"),
    )
    .action(async (name: string, url: string, options: GatewayCommandOptions) => {
      const info = await withGateway(options, (gw) => gw.registerApp(name, url));
      const endpoints = Object.keys(info.endpoints);
      writeLine(io.stdout, `Registered ${info.name} at ${info.url} (${describe(endpoints)})`);
      if (!info.discovered) {
        writeLine(
          io.stderr,
          `warning: the gateway could not fetch detailed_endpoints from ${info.url}; calls are forwarded without schemas`,
        );
      }
    });

  addGatewayOptions(
    program
      .command("unregister")
      .summary("remove an app from a gateway")
      .description("Remove an app from a gateway; its routes disappear for every client.")
      .argument("<name>", "app name"),
  )
    .addHelpText("after", examples("portico unregister echoer --gateway http://127.0.0.1:8000"))
    .action(async (name: string, options: GatewayCommandOptions) => {
      await withGateway(options, (gw) => gw.unregisterApp(name));
      writeLine(io.stdout, `Unregistered ${name}`);
    });
}

interface AppsCommandOptions extends GatewayCommandOptions {
  json?: boolean;
  watch?: boolean;
}

/**
 * Prints the apps once the event stream is live, then again after every change (several changes
 * that arrive during one listing are shown by the next), until a stop request.
 */
async function watchApps(io: CliIo, options: AppsCommandOptions): Promise<void> {
  await withGateway(options, async (gw) => {
    let revision: number | undefined;
    let wanted = false;
    let printing: Promise<void> | undefined;
    const print = async (): Promise<void> => {
      while (wanted) {
        wanted = false;
        const seen = revision;
        try {
          const apps = await gw.registeredApps();
          if (!options.json) writeLine(io.stdout, `# ${new Date().toISOString()} revision ${seen}`);
          printApps(io, apps, { json: options.json === true, compact: true });
        } catch (error) {
          writeLine(io.stderr, `Could not list the apps: ${(error as Error).message}`);
        }
      }
      printing = undefined;
    };
    const onEvent = (event: GatewayEvent): void => {
      revision = event.revision ?? revision;
      wanted = true;
      printing ??= print();
    };
    try {
      await followUntilStopped(io, options, onEvent);
    } finally {
      await printing;
    }
  });
}

function printApps(io: CliIo, apps: AppInfo[], how: { json: boolean; compact?: boolean }): void {
  const rows = apps.map((app) => ({ ...app, endpoints: Object.keys(app.endpoints) }));
  if (how.json) writeLine(io.stdout, JSON.stringify(rows, null, how.compact ? undefined : 2));
  else if (rows.length === 0) writeLine(io.stdout, "No apps registered.");
  else writeLine(io.stdout, formatTable(rows));
}

async function withGateway<T>(
  options: GatewayCommandOptions,
  use: (gw: GatewayClient) => Promise<T>,
): Promise<T> {
  checkTokens(options);
  const { timeout, token } = options;
  // A short-lived client pulls: a stream of pushed changes would be opened only to be closed.
  // (`apps --watch` follows the gateway's events itself; a second stream here could lag it.)
  const gw = await Gateway.connect(options.gateway, { timeout, token, subscribe: false }).catch(
    (error: unknown) => {
      throw notAGateway(error, options.gateway);
    },
  );
  try {
    return await use(gw);
  } finally {
    await gw.close();
  }
}

/** A Portico service without the gateway's endpoints answers 404: say what that means. */
function notAGateway(error: unknown, url: string): unknown {
  if (!(error instanceof PorticoError) || error.code !== "ENDPOINT_NOT_FOUND") return error;
  return new EndpointNotFoundError(`${url} answers but is not a Portico gateway`, { cause: error });
}

function describe(endpoints: string[]): string {
  if (endpoints.length === 0) return "no endpoints published";
  return `${endpoints.length} endpoint${endpoints.length === 1 ? "" : "s"}: ${endpoints.join(", ")}`;
}

function formatTable(rows: { name: string; url: string; endpoints: string[] }[]): string {
  const lines = [
    ["NAME", "URL", "ENDPOINTS"],
    ...rows.map((r) => [r.name, r.url, r.endpoints.join(", ") || "-"]),
  ];
  const width = (i: number): number => Math.max(...lines.map((l) => (l[i] ?? "").length));
  const [nameWidth, urlWidth] = [width(0), width(1)];
  return lines
    .map(([n = "", u = "", e = ""]) => `${n.padEnd(nameWidth)}  ${u.padEnd(urlWidth)}  ${e}`)
    .join("\n");
}
