/**
 * `portico events --gateway URL`: prints a gateway's changes as they happen (its `/events`
 * stream), one line each, until SIGINT/SIGTERM. A dropped stream (the gateway restarted) is
 * reopened from the last revision printed, so no change is missed.
 */
import type { Command } from "commander";
import { untilStopOrClosed, writeLine } from "../io.js";
import type { CliIo } from "../io.js";
import { followEvents } from "../event-stream.js";
import type { GatewayEvent } from "../event-stream.js";
import { addGatewayOptions, examples, integerIn } from "../options.js";
import { checkTokens } from "../security-options.js";

interface EventsCommandOptions {
  gateway: string;
  timeout: number;
  token?: string;
  json?: boolean;
  since?: number;
}

/** The examples of `events --help`. */
export const EVENTS_EXAMPLES = [
  "portico events --gateway http://127.0.0.1:8000",
  "portico events --gateway http://127.0.0.1:8000 --json --since 0",
];

/** Adds the `events` command to `program`. */
export function registerEvents(program: Command, io: CliIo): void {
  addGatewayOptions(
    program
      .command("events")
      .summary("print a gateway's changes as they happen")
      .description(
        "Print a gateway's changes as they happen (app_registered, app_updated, " +
          "app_unregistered, app_health_changed, resync), one line each: time, type, name, revision (and URL). " +
          "Runs until SIGINT/SIGTERM; a dropped stream is reopened from the last revision seen.",
      )
      .option("--json", "print each change as one JSON object a line, as the gateway sent it")
      .option(
        "--since <revision>",
        "first replay the changes after this revision (0: every change the gateway keeps)",
        integerIn(0, Number.MAX_SAFE_INTEGER),
      ),
  )
    .addHelpText("after", examples(...EVENTS_EXAMPLES))
    .action(async (options: EventsCommandOptions) => {
      checkTokens(options);
      await followUntilStopped(io, options, (event) => {
        if (event.type === "ready") {
          writeLine(io.stderr, `Following ${options.gateway} at revision ${event.revision}`);
        } else {
          writeLine(io.stdout, options.json ? JSON.stringify(event) : formatEvent(event));
        }
      });
    });
}

/** Follows the events until a stop request (resolves) or a failure that ends it (throws). */
export async function followUntilStopped(
  io: CliIo,
  options: Omit<EventsCommandOptions, "json">,
  onEvent: (event: GatewayEvent) => void,
): Promise<void> {
  const stop = new AbortController();
  const following = followEvents({
    gateway: options.gateway,
    token: options.token,
    since: options.since,
    timeout: options.timeout,
    signal: stop.signal,
    onEvent,
    onDrop: (error) =>
      writeLine(io.stderr, `The event stream dropped (${messageOf(error)}): reopening it...`),
  });
  try {
    await untilStopOrClosed(io, following);
  } finally {
    stop.abort();
    await following.catch(() => undefined);
  }
}

/** `2025-01-01T12:00:00.000Z  app_registered    echoer  revision 7  http://127.0.0.1:8080`. */
export function formatEvent(event: GatewayEvent, at = new Date()): string {
  const url = (event.app as { url?: unknown } | undefined)?.url ?? event.url;
  const parts = [
    at.toISOString(),
    event.type.padEnd(16),
    event.name ?? "-",
    `revision ${event.revision ?? "?"}`,
  ];
  if (typeof url === "string") parts.push(url);
  // app_health_changed: the instance's health as this gateway replica sees it.
  if (typeof event.health === "string") parts.push(event.health);
  return parts.join("  ");
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
