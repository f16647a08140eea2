/**
 * ConnectionManager: the client of one service. Lifecycle methods live here; endpoint methods
 * are added per instance by `createServiceClient`. It never imports the server side.
 */
import { builtinTasks } from "../contract/builtins.js";
import type { EndpointDescriptor } from "../contract/endpoint.js";
import type { ServiceStatus } from "../contract/builtins.js";
import type { InferOutput } from "../contract/task.js";
import { PorticoError, ShutdownTimeoutError } from "../errors.js";
import { createEndpointFunction } from "./endpoint-method.js";
import type { EndpointFunction } from "./endpoint-method.js";
import { isDown } from "./probe.js";
import { HttpTransport } from "./transport.js";
import type { CallOptions, TransportOptions } from "./transport.js";
import { zodValidator } from "../contract/validator.js";
import type { McpClient, McpClientOptions } from "../mcp/client.js";

/** A launched process a client owns: `shutdown()` waits for it to exit (and kills it if it hangs). */
export interface ManagedProcess {
  readonly pid: number | undefined;
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  stop(graceMs: number): Promise<boolean>;
}

/** What every client is built from. */
export interface ClientInit extends TransportOptions {
  url: string | URL;
  /** Use this transport instead of opening one (the client closes it only with `ownsTransport`). */
  transport?: HttpTransport;
  /** Hand `transport` over to the client, which then closes it on `close()`. */
  ownsTransport?: boolean;
  /** The process behind this client when it came from `launch()`. */
  process?: ManagedProcess;
  /**
   * Gateway clients only: follow the gateway's `/events` so the view of its apps stays current
   * with no calls (default true); `false` keeps the pull-only client. Other clients ignore it.
   */
  subscribe?: boolean;
}

/** Options of `shutdown()`. */
export interface ShutdownOptions extends CallOptions {
  /** How long to wait for the service to stop before killing a launched process (10 s). */
  grace?: number;
}

type Out<K extends keyof typeof builtinTasks> = InferOutput<(typeof builtinTasks)[K]>;

function builtin(transport: HttpTransport, name: keyof typeof builtinTasks): EndpointFunction {
  const spec = builtinTasks[name];
  return createEndpointFunction(transport, {
    name,
    path: `/${name}`,
    method: "POST",
    output: zodValidator(spec.output),
  });
}

/** Client of one service: lifecycle methods plus, per instance, one method per endpoint. */
export class ConnectionManager {
  /** Base URL of the service (no trailing slash). */
  readonly url: string;
  /** @internal */
  readonly transport: HttpTransport;
  private readonly _ownsTransport: boolean;
  private readonly _managed: ManagedProcess | undefined;
  private readonly _builtins: Record<keyof typeof builtinTasks, EndpointFunction>;
  private _mcpClients: Set<McpClient> | undefined;

  constructor(init: ClientInit) {
    this.transport = init.transport ?? new HttpTransport(init.url, init);
    this._ownsTransport = init.transport === undefined || init.ownsTransport === true;
    this.url = this.transport.url;
    this._managed = init.process;
    const names = Object.keys(builtinTasks) as (keyof typeof builtinTasks)[];
    this._builtins = Object.fromEntries(
      names.map((n) => [n, builtin(this.transport, n)]),
    ) as Record<keyof typeof builtinTasks, EndpointFunction>;
  }

  /** `{ status: "Available" }`, or `{ status: "Down" }` when nothing answers (never throws for that). */
  async status(options?: CallOptions): Promise<Out<"status">> {
    try {
      return (await this._builtins.status(undefined, options)) as Out<"status">;
    } catch (error) {
      if (error instanceof PorticoError && error.code === "SERVICE_UNAVAILABLE") {
        return { status: "Down" satisfies ServiceStatus };
      }
      throw error;
    }
  }

  /** The service's heartbeat: status, server id, message, details. */
  async heartbeat(options?: CallOptions): Promise<Out<"heartbeat">> {
    return (await this._builtins.heartbeat(undefined, options)) as Out<"heartbeat">;
  }

  /** Names of every endpoint. */
  async endpoints(options?: CallOptions): Promise<string[]> {
    return ((await this._builtins.endpoints(undefined, options)) as Out<"endpoints">).endpoints;
  }

  /** Every endpoint with its JSON Schemas, keyed by name. */
  async detailedEndpoints(options?: CallOptions): Promise<Record<string, EndpointDescriptor>> {
    const out = (await this._builtins.detailed_endpoints(
      undefined,
      options,
    )) as Out<"detailed_endpoints">;
    return out.endpoints;
  }

  /** The server's unique id. */
  async serverId(options?: CallOptions): Promise<string> {
    return ((await this._builtins.server_id(undefined, options)) as Out<"server_id">).server_id;
  }

  /** The class the service was built from. */
  async className(options?: CallOptions): Promise<string> {
    return ((await this._builtins.class_name(undefined, options)) as Out<"class_name">).class_name;
  }

  /** Path of the launched process's PID file (null when served in-process). */
  async pidFile(options?: CallOptions): Promise<string | null> {
    return ((await this._builtins.pid_file(undefined, options)) as Out<"pid_file">).pid_file;
  }

  /**
   * Asks the service to stop and waits until it no longer answers. For a launched service, also
   * waits up to `grace` ms for its process to exit, then sends SIGTERM, and SIGKILL 2 s later.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<{ shutdown: true }> {
    const grace = options.grace ?? 10_000;
    let stopped: boolean;
    try {
      try {
        await this._builtins.shutdown(undefined, { ...options, timeout: options.timeout ?? grace });
      } catch (error) {
        // Already down is what the caller wants; a launched process still gets the stop ladder.
        if (!(error instanceof PorticoError) || error.code !== "SERVICE_UNAVAILABLE") {
          if (!this._managed) throw error;
        }
      }
      stopped = this._managed
        ? await waitOrStop(this._managed, grace)
        : await this._waitUntilDown(grace);
    } finally {
      await this.close();
    }
    if (!stopped) {
      throw new ShutdownTimeoutError(`Service at ${this.url} did not stop within ${grace} ms`);
    }
    return { shutdown: true };
  }

  /** Sends a raw call to any path of the service (no schemas involved). */
  async call(
    endpoint: string,
    input?: unknown,
    options: CallOptions & { method?: "GET" | "POST" | "PUT" | "DELETE" | "PATCH" } = {},
  ): Promise<unknown> {
    const method = options.method ?? "POST";
    const path = endpoint.startsWith("/") ? endpoint : `/${endpoint}`;
    return this.transport.call(method, path, method === "GET" ? undefined : (input ?? {}), options);
  }

  /** Closes this client's connections (the service keeps running); idempotent. */
  /**
   * An official MCP SDK client connected to this service's `/mcp` (a gateway's: every app's
   * tools), with this client's token. It speaks 2026-07-28 when the server does and the 2025
   * handshake otherwise; `close()` of this client closes it too.
   * @example
   * const mcp = await client.mcp();
   * const { tools } = await mcp.listTools();
   */
  async mcp(options: McpClientOptions = {}): Promise<McpClient> {
    const { connectMcp } = await import("../mcp/client.js");
    const client = await connectMcp(
      `${this.url}${options.path ?? "/mcp"}`,
      this.transport.authHeaders(),
      options,
    );
    (this._mcpClients ??= new Set()).add(client);
    client.onclose = () => this._mcpClients?.delete(client);
    return client;
  }

  async close(): Promise<void> {
    const mcp = [...(this._mcpClients ?? [])];
    this._mcpClients?.clear();
    await Promise.allSettled(mcp.map((client) => client.close()));
    if (this._ownsTransport) await this.transport.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private async _waitUntilDown(grace: number): Promise<boolean> {
    const deadline = Date.now() + grace;
    while (Date.now() < deadline) {
      if (isDown(await this.transport.probe({ timeout: 1_000 }))) return true;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    return false;
  }
}

async function waitOrStop(managed: ManagedProcess, grace: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), grace);
  });
  const exited = await Promise.race([managed.exited.then(() => true as const), timedOut]);
  clearTimeout(timer);
  if (exited) return true;
  await managed.stop(2_000);
  return false;
}
