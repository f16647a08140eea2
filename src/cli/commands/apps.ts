/**
 * The gateway's app registry from the command line: `apps`, `register` and `unregister`, each a
 * short-lived gateway client (`Gateway.connect`) closed before the command returns. `apps --watch`
 * keeps its client and reprints the list on every change the gateway's `/events` stream reports.
 */
import type { Command } from "commander";
import { EndpointNotFoundError, Gateway, PorticoError } from "../../index.js";
import type { AppInfo, GatewayClient, InstanceInfo } from "../../index.js";
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
      .description(
        "List the apps registered with a gateway: one line per instance with its URL, its health " +
          "as the gateway sees it (healthy, unhealthy, ejected) and its last check, and the " +
          "app's endpoint names.",
      )
      .option(
        "--json",
        "print JSON: [{ name, url, kind, instances: [{ url, health, last_check, ... }], endpoints: [names] }]",
      )
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
          "to the app and fetches its endpoint schemas (detailed_endpoints, else an OpenAPI " +
          "document, else an MCP server's tools). With --add, the URL becomes one more instance of the app.",
      )
      .argument("<name>", "app name: letters, digits, '_' and '-', starting with a letter")
      .argument("<url>", "base URL of the app", parseHttpUrl)
      .option("--add", "add the URL as one more instance (it must publish the app's endpoints)")
      .option("--openapi <url>", "URL of the app's OpenAPI document (default: <url>/openapi.json)")
      .option(
        "--mcp",
        "the URL is an MCP server (its /mcp endpoint or a base URL serving /mcp); detected when absent",
      )
      .option(
        "--health-path <path>",
        "path a non-Portico app answers with 2xx/3xx when healthy (default: a TCP connect)",
      ),
  )
    .addHelpText(
      "after",
      examples(
        "portico register echoer http://127.0.0.1:8080 --gateway http://127.0.0.1:8000",
        "portico register echoer http://127.0.0.1:8081 --add --gateway http://127.0.0.1:8000",
        "portico register weather http://127.0.0.1:9000/mcp --mcp --gateway http://127.0.0.1:8000",
      ),
    )
    .action(async (name: string, url: string, options: RegisterCommandOptions) => {
      const info = await withGateway(options, (gw) =>
        gw.registerApp(name, url, {
          mode: options.add ? "add" : "replace",
          ...(options.openapi !== undefined ? { openapi: options.openapi } : {}),
          ...(options.mcp ? { kind: "mcp" as const } : {}),
          ...(options.healthPath !== undefined ? { healthPath: options.healthPath } : {}),
        }),
      );
      const endpoints = Object.keys(info.endpoints);
      const count = info.instances?.length ?? 1;
      writeLine(
        io.stdout,
        options.add
          ? `Added ${url} to ${info.name} (${count} instance${count === 1 ? "" : "s"}; ${describe(endpoints)})`
          : `Registered ${info.name} at ${info.url} (${describe(endpoints)})`,
      );
      if (info.discovery_error) {
        writeLine(
          io.stderr,
          `warning: ${info.discovery_error.code}: ${info.discovery_error.message}`,
        );
      }
      if (!info.discovered) {
        writeLine(
          io.stderr,
          `warning: the gateway found neither detailed_endpoints nor an OpenAPI document at ${info.url}; calls are forwarded without schemas`,
        );
      }
    });

  addGatewayOptions(
    program
      .command("unregister")
      .summary("remove an app from a gateway")
      .description(
        "Remove an app from a gateway; its routes disappear for every client. With --url, " +
          "remove that instance only (the app goes with its last instance).",
      )
      .argument("<name>", "app name")
      .option("--url <url>", "remove only the instance at this URL", parseHttpUrl),
  )
    .addHelpText(
      "after",
      examples(
        "portico unregister echoer --gateway http://127.0.0.1:8000",
        "portico unregister echoer --url http://127.0.0.1:8081 --gateway http://127.0.0.1:8000",
      ),
    )
    .action(async (name: string, options: UnregisterCommandOptions) => {
      await withGateway(options, (gw) =>
        gw.unregisterApp(name, options.url === undefined ? {} : { url: options.url }),
      );
      writeLine(
        io.stdout,
        options.url === undefined ? `Unregistered ${name}` : `Removed ${options.url} from ${name}`,
      );
    });
}

interface RegisterCommandOptions extends GatewayCommandOptions {
  add?: boolean;
  openapi?: string;
  mcp?: boolean;
  healthPath?: string;
}

interface UnregisterCommandOptions extends GatewayCommandOptions {
  url?: string;
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
  const rows = apps.map((app) => ({
    ...app,
    instances: app.instances ?? [{ url: app.url }],
    endpoints: Object.keys(app.endpoints),
  }));
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

/** One line per instance; the app's name and endpoints on its first line only. */
function formatTable(
  rows: { name: string; instances: InstanceInfo[]; endpoints: string[] }[],
): string {
  const lines = [["NAME", "INSTANCE", "HEALTH", "LAST CHECK", "ENDPOINTS"]];
  for (const row of rows) {
    row.instances.forEach((instance, i) => {
      lines.push([
        i === 0 ? row.name : "",
        instance.url,
        instance.health ?? "-",
        instance.last_check ? instance.last_check.slice(11, 19) : "-",
        i === 0 ? row.endpoints.join(", ") || "-" : "",
      ]);
    });
  }
  const widths = lines[0]!.map((_, i) => Math.max(...lines.map((l) => (l[i] ?? "").length)));
  return lines
    .map((line) =>
      line
        .map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}
