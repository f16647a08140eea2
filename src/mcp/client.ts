/**
 * `client.mcp()`: an official MCP SDK client connected to a service's or gateway's `/mcp`, for
 * those who want one library for both worlds. Loaded only when asked for.
 */
import { Client, StreamableHTTPClientTransport } from "@modelcontextprotocol/client";
import type { ClientOptions } from "@modelcontextprotocol/client";
import { packageVersion } from "../version.js";

/** Options of `client.mcp()`. */
export interface McpClientOptions {
  /** The MCP path of the service (`/mcp`). */
  path?: string;
  /**
   * `auto` (default): 2026-07-28 when the server offers it, else the 2025 handshake;
   * `legacy`: the 2025 handshake only; or a revision to insist on (`2026-07-28`).
   */
  protocol?: "auto" | "legacy" | (string & {});
  /** The client's name and version told to the server (`portico-client`). */
  clientInfo?: { name: string; version: string };
  /** Called when the server's tool list changes (the SDK refetches it first). */
  listChanged?: ClientOptions["listChanged"];
  /** Milliseconds for connecting (the SDK's default otherwise). */
  timeout?: number;
}

/** The official SDK client `mcp()` returns. */
export type McpClient = Client;

/** Connects an SDK client to `url` with `headers` (the Portico client's token). */
export async function connectMcp(
  url: string,
  headers: Record<string, string> | undefined,
  options: McpClientOptions,
): Promise<Client> {
  const protocol: string = options.protocol ?? "auto";
  const mode: "auto" | "legacy" | { pin: string } =
    protocol === "auto" ? "auto" : protocol === "legacy" ? "legacy" : { pin: protocol };
  const client = new Client(
    options.clientInfo ?? { name: "portico-client", version: packageVersion() },
    {
      versionNegotiation: { mode },
      ...(options.listChanged ? { listChanged: options.listChanged } : {}),
    },
  );
  const transport = new StreamableHTTPClientTransport(
    new URL(url),
    headers ? { requestInit: { headers } } : {},
  );
  await client.connect(
    transport,
    options.timeout === undefined ? {} : { timeout: options.timeout },
  );
  return client;
}
