/**
 * Service: the base class of every Portico service. Declare the contract in `static tasks`,
 * implement it with `addEndpoint`, then `serve()` it in-process. The class defines; other parts do
 * the rest: `launch()` hands over to the launcher (launcher/), `connect()` to the client (client/).
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { builtinTasks } from "../contract/builtins.js";
import type { ServiceStatus } from "../contract/builtins.js";
import { HTTP_METHODS } from "../contract/endpoint.js";
import type { EndpointDescriptor, HttpMethod } from "../contract/endpoint.js";
import type { AnyTask, TaskRecord } from "../contract/task.js";
import { buildClient, connectWith } from "../client/connect.js";
import type { ConnectOptions } from "../client/connect.js";
import type { ClientInit } from "../client/connection-manager.js";
import type { ServiceClient, TasksOf } from "../client/types.js";
import { DefinitionError, InvalidOptionsError, ServiceStoppingError } from "../errors.js";
import type { GatewayClient } from "../gateway/gateway-client.js";
import { launchClient } from "../launcher/launch.js";
import type { LaunchOptions } from "../launcher/launch.js";
import { assertNewEndpoint, describeEndpoint } from "./endpoint.js";
import type { AnyHandler, EndpointOptions, Handler, RegisteredEndpoint } from "./endpoint.js";
import type { AccessAction } from "../security/options.js";
import { buildHttpApp } from "./http-app.js";
import { buildOpenApi } from "./openapi.js";
import type { OpenApiDocument } from "./openapi.js";
import { resolveListenAddress } from "./listen-address.js";
import { booleanOption } from "./options.js";
import type { McpOptions, ServiceOptions } from "./options.js";
import type { McpHandler, McpRoute } from "./http-app.js";
import { listen } from "./serve.js";
import { packageVersion } from "../version.js";
import { ServerMetrics, registerMetricsRoute } from "../observe/metrics.js";
import { AccessPolicy } from "../security/policy.js";
import { createLogger } from "../observe/log-options.js";
import { Tracing } from "../observe/trace-otel.js";
import type { ServeOptions, ServedService } from "./serve.js";

export type { ServiceOptions } from "./options.js";
export type { ConnectOptions } from "../client/connect.js";

/** The client type `connect()`/`launch()` return for a service class. */
export type ClientOf<S> = S extends { readonly isGateway: true }
  ? GatewayClient<TasksOf<S>>
  : ServiceClient<TasksOf<S>>;

/** The constructor side of a service class. */
export type ServiceClass<S extends Service = Service> = (new (options?: ServiceOptions) => S) & {
  readonly tasks: TaskRecord;
  readonly moduleUrl?: string | undefined;
  readonly isGateway: boolean;
  readonly name: string;
};

/** Base class of every service. */
export class Service {
  /** The typed contract; clients are typed from it. Subclasses replace it. */
  static tasks: TaskRecord = {};
  /** URL of the module that exports this class, for `launch()`: `static moduleUrl = import.meta.url`. */
  static moduleUrl: string | undefined = undefined;
  /** True on gateways: their clients are gateway clients. */
  static readonly isGateway: boolean = false;

  readonly id: string;
  readonly pidFile: string | null;
  readonly description: string;
  /** Set once serving: the base URL. */
  url: string | undefined;
  protected state: ServiceStatus = "Available";
  private readonly registered = new Map<string, RegisteredEndpoint>();
  /** The pino logger (undefined: no logs, the default). */
  protected readonly logger: Logger | undefined;
  /** OpenTelemetry spans, when a tracer is registered at serve time (`tracing: false`: never). */
  protected readonly tracing: Tracing;
  protected readonly bodyLimit: number;
  private readonly timeouts: { requestTimeout: number; headersTimeout: number };
  /** Who may do what: the one access policy, for this service's routes and forwarded traffic. */
  protected readonly policy: AccessPolicy;
  private fastify: FastifyInstance | undefined;
  private shutdownHook: (() => void) | undefined;
  /** MCP settings (undefined: not served). */
  protected readonly mcpOptions: McpOptions | undefined;
  /** Whether `/docs` (the API reference) is served. */
  protected readonly docsServed: boolean;
  /** The OpenAPI document, built once: endpoints are fixed once serving starts. */
  private openApiCache: OpenApiDocument | undefined;
  private mcpEndpoint: Promise<McpHandler & { close(): Promise<void> }> | undefined;
  /** Request counters and `/metrics` (undefined: `metrics: false`). */
  protected readonly metrics: ServerMetrics | undefined;

  constructor(options: ServiceOptions = {}) {
    this.id = options.id ?? randomUUID();
    this.pidFile = options.pidFile ?? null;
    this.description = options.description ?? `${new.target.name} server.`;
    this.logger = createLogger(options);
    this.tracing = new Tracing(booleanOption(options.tracing, "tracing"));
    this.bodyLimit = options.bodyLimit ?? 1024 * 1024;
    this.timeouts = serverTimeouts(options);
    this.policy = new AccessPolicy(options, this.id, !new.target.isGateway);
    this.mcpOptions = mcpOptions(options.mcp);
    this.docsServed = booleanOption(options.docs, "docs");
    this.metrics = booleanOption(options.metrics, "metrics") ? new ServerMetrics() : undefined;
    this.addBuiltins();
  }

  /**
   * Adds an endpoint `POST /<name>`. Input is validated with the task's input schema (422 when
   * invalid) and output checked with its output schema.
   * @example
   * this.addEndpoint("echo", ({ message }) => ({ echoed: message }), echoTask);
   * this.addEndpoint(echoTask, ({ message }) => ({ echoed: message })); // name from the task
   */
  addEndpoint<T extends AnyTask>(task: T, handler: Handler<T>, options?: EndpointOptions): this;
  addEndpoint<T extends AnyTask>(
    name: string,
    handler: Handler<T>,
    task?: T,
    options?: EndpointOptions,
  ): this;
  addEndpoint(
    nameOrTask: string | AnyTask,
    handler: AnyHandler,
    taskOrOptions?: AnyTask | EndpointOptions,
    maybeOptions?: EndpointOptions,
  ): this {
    const byTask = typeof nameOrTask !== "string";
    const task = byTask ? nameOrTask : (taskOrOptions as AnyTask | undefined);
    const options = (byTask ? taskOrOptions : maybeOptions) as EndpointOptions | undefined;
    const name = byTask ? nameOrTask.name : nameOrTask;
    if (this.fastify)
      throw new DefinitionError(`Cannot add endpoint "${name}" after serving started`);
    assertNewEndpoint(name, this.registered);
    if (typeof handler !== "function") {
      throw new DefinitionError(`Endpoint "${name}" needs a handler function`);
    }
    const access = options?.access ?? "call";
    // Whatever changes state must not be reachable by a GET (an <img> tag sends no Origin).
    const methods = normalizeMethods(
      name,
      options?.methods ?? (access === "admin" ? ["POST"] : undefined),
    );
    if (access === "admin" && methods.some((m) => m === "GET")) {
      throw new DefinitionError(`Admin endpoint "${name}" must not answer GET`);
    }
    this.registered.set(name, { name, task, handler, methods, builtin: false, access });
    return this;
  }

  /** Every endpoint's wire description, keyed by name (built-ins included). */
  describeEndpoints(): Record<string, EndpointDescriptor> {
    const out: Record<string, EndpointDescriptor> = {};
    for (const endpoint of this.registered.values())
      out[endpoint.name] = describeEndpoint(endpoint);
    return out;
  }

  /** Names of the endpoints with this access action (built-ins included). */
  protected endpointNames(access: AccessAction): string[] {
    return [...this.registered.values()].filter((e) => e.access === access).map((e) => e.name);
  }

  /** The fastify app (built on first access): add plugins or use `inject()` in tests. */
  get app(): FastifyInstance {
    this.fastify ??= this.buildApp();
    return this.fastify;
  }

  /**
   * Serves this service in the current process on `host:port` (127.0.0.1 and a free port by
   * default). Its `shutdown` endpoint closes this server and nothing else. With `gateway` and
   * `name` it registers itself there as an instance with a lease, and resolves once registered.
   * @example
   * const served = await new EchoService().serve({ gateway: "http://127.0.0.1:8081", name: "echoer" });
   */
  async serve(options: ServeOptions = {}): Promise<ServedService> {
    this.policy.bind(resolveListenAddress(options).host);
    await this.tracing.load();
    const served = await listen(this, options);
    this.url = served.url;
    this.shutdownHook ??= () => void served.close();
    return served;
  }

  /** Called by the host (serve or launcher) when the `shutdown` endpoint is called. */
  onShutdownRequest(hook: () => void): void {
    this.shutdownHook = hook;
  }

  /** Releases what the service holds; subclasses extend it (called when the server closes). */
  close(): Promise<void> {
    this.state = "Stopping";
    return Promise.resolve();
  }

  /**
   * Launches this service in its own process (see launcher/) and resolves with a typed client once
   * it answers Available (and, with `gateway` and `name`, once it registered itself there).
   * @example
   * const echo = await EchoService.launch({ url: "http://127.0.0.1:8080" });
   */
  static async launch<S extends ServiceClass>(
    this: S,
    options: LaunchOptions = {},
  ): Promise<ClientOf<S>> {
    const self = this as unknown as typeof Service;
    return (await launchClient(this, options, (init) => self.createClient(init))) as ClientOf<S>;
  }

  /**
   * Connects to a running service (see client/connect.ts); rejects with `ServiceUnavailableError`
   * when nothing answers. A class with `static tasks` gets a typed client without any extra call;
   * `Service.connect` builds its methods from the service's `detailed_endpoints`.
   */
  static async connect<S extends ServiceClass>(
    this: S,
    url: string | URL,
    options: ConnectOptions = {},
  ): Promise<ClientOf<S>> {
    const self = this as unknown as typeof Service;
    return (await connectWith(url, options, (init) => self.createClient(init))) as ClientOf<S>;
  }

  /** Builds the client of this class; gateways override it. */
  protected static createClient(init: ClientInit): Promise<unknown> {
    return buildClient(init, this.tasks);
  }

  /** Extra details reported in `heartbeat` (null by default). */
  protected heartbeatDetails(): unknown {
    return null;
  }

  /**
   * The MCP endpoint of this service (its endpoints as tools). Loaded on the first MCP request:
   * a service nobody asks over MCP never loads the SDK. The gateway serves its apps' tools instead.
   */
  protected async createMcp(options: McpOptions): Promise<McpHandler & { close(): Promise<void> }> {
    const { createServiceMcp } = await import("../mcp/service-mcp.js");
    const metrics = this.metrics;
    return createServiceMcp(
      {
        name: this.constructor.name,
        version: packageVersion(),
        description: this.description,
        endpoints: () => this.registered.values(),
        isStopping: () => this.state === "Stopping",
        counts: metrics && ((name: string) => metrics.endpoint(name, "mcp")),
      },
      { ...options, maxRequestBodySize: this.bodyLimit },
    );
  }

  /** Handles a raw request before routing; the gateway forwards app traffic here. */
  protected handleRaw(_req: IncomingMessage, _res: ServerResponse): boolean {
    return false;
  }

  /**
   * Adds a subclass's own fastify routes (the gateway's `/events`). They pass the same access
   * policy as every endpoint: give each route `config: { access }` ("call" when absent).
   */
  protected registerRoutes(_app: FastifyInstance): void {}

  private buildApp(): FastifyInstance {
    this.assertDeclaredTasks();
    const title = this.constructor.name;
    const app = buildHttpApp({
      endpoints: () => this.registered.values(),
      isStopping: () => this.state === "Stopping",
      openApi: () => this.openApiDocument(),
      ...(this.docsServed && {
        docs: {
          // The page is public: with a caller token it does not name the service until the
          // document (which needs the token) is read.
          title: this.policy.hasCallToken ? "Portico service" : title,
          document: () => this.openApiDocument(),
          documentAccess: "call",
        },
        rootToDocs: !(this.constructor as typeof Service).isGateway,
      }),
      handleRaw: (req, res) => this.handleRaw(req, res),
      logger: this.logger,
      tracing: this.tracing,
      bodyLimit: this.bodyLimit,
      policy: this.policy,
      ...this.timeouts,
      ...(this.mcpOptions ? { mcp: this.mcpRoute(this.mcpOptions) } : {}),
      ...(this.metrics ? { metrics: this.metrics } : {}),
    });
    if (this.metrics) registerMetricsRoute(app, this.metrics);
    this.registerRoutes(app);
    return app;
  }

  /**
   * The OpenAPI document of `/openapi.json` and `/docs`: own endpoints first, then the built-ins.
   * Built once (no endpoint is added after serving starts); the gateway adds its apps' operations.
   */
  protected openApiDocument(): OpenApiDocument {
    return (this.openApiCache ??= buildOpenApi({
      title: this.constructor.name,
      description: this.description,
      endpoints: Object.values(this.describeEndpoints()),
      builtins: new Set(Object.keys(builtinTasks)),
      security: { callToken: this.policy.hasCallToken, adminToken: this.policy.hasAdminToken },
    }));
  }

  private mcpRoute(options: McpOptions): McpRoute {
    let closed = false;
    return {
      path: options.path ?? "/mcp",
      endpoint: () => {
        // After close, nothing may open an endpoint that nobody would close again.
        if (closed) return Promise.reject(new ServiceStoppingError("The service is stopping"));
        return (this.mcpEndpoint ??= this.createMcp(options));
      },
      close: async () => {
        closed = true;
        const endpoint = this.mcpEndpoint;
        this.mcpEndpoint = undefined;
        await (await endpoint?.catch(() => undefined))?.close();
      },
    };
  }

  /** Every task of `static tasks` has its endpoint, built on that very task (clients trust it). */
  private assertDeclaredTasks(): void {
    const declared = (this.constructor as typeof Service).tasks;
    for (const [name, task] of Object.entries(declared)) {
      const endpoint = this.registered.get(name);
      if (!endpoint) {
        throw new DefinitionError(
          `${this.constructor.name} declares task "${name}" in static tasks but adds no endpoint for it`,
        );
      }
      if (endpoint.task !== task) {
        throw new DefinitionError(
          `${this.constructor.name}: endpoint "${name}" is not built on the task static tasks declares for it`,
        );
      }
    }
  }

  private addBuiltins(): void {
    const add = (
      name: keyof typeof builtinTasks,
      handler: Handler<AnyTask>,
      access: AccessAction = "call",
    ): void => {
      this.registered.set(name, {
        name,
        task: builtinTasks[name],
        handler,
        methods: access === "admin" ? ["POST"] : ["GET", "POST"],
        builtin: true,
        access,
      });
    };
    add("endpoints", () => ({ endpoints: [...this.registered.keys()] }));
    add("detailed_endpoints", () => ({ endpoints: this.describeEndpoints() }));
    add("status", () => ({ status: this.state }), "public");
    add(
      "heartbeat",
      () => ({
        heartbeat: {
          status: this.state,
          server_id: this.id,
          message: "Heartbeat check successful.",
          details: this.heartbeatDetails() ?? null,
        },
      }),
      "public",
    );
    add("server_id", () => ({ server_id: this.id }));
    add("class_name", () => ({ class_name: this.constructor.name }));
    add("pid_file", () => ({ pid_file: this.pidFile }));
    add(
      "shutdown",
      () => {
        this.state = "Stopping";
        // Stop only after the reply is out; never signal any other process (the seed killed its parent).
        setImmediate(() => this.shutdownHook?.());
        return { shutdown: true };
      },
      "admin",
    );
  }
}

/** The MCP settings of `options.mcp` (on by default), checked. */
function mcpOptions(value: ServiceOptions["mcp"]): McpOptions | undefined {
  if (value === false) return undefined;
  const options = value === undefined || value === true ? {} : value;
  const path = options.path ?? "/mcp";
  if (!/^\/[A-Za-z0-9_\-./]*$/.test(path) || path.includes("//") || path === "/") {
    throw new InvalidOptionsError(`mcp.path must be a path such as "/mcp"`, { data: { path } });
  }
  for (const key of ["maxSessions", "sessionIdleMs", "debounceMs", "pageSize"] as const) {
    const number = options[key];
    if (
      number !== undefined &&
      (!Number.isInteger(number) || number < (key === "debounceMs" ? 0 : 1))
    ) {
      throw new InvalidOptionsError(`mcp.${key} must be a positive integer`, {
        data: { [key]: number },
      });
    }
  }
  return options;
}

function normalizeMethods(name: string, methods: HttpMethod[] | undefined): HttpMethod[] {
  const list = methods ?? ["POST"];
  const valid = new Set<HttpMethod>(HTTP_METHODS);
  if (list.length === 0 || list.some((m) => !valid.has(m))) {
    throw new DefinitionError(`Endpoint "${name}": methods must be among ${[...valid].join(", ")}`);
  }
  return [...new Set(list)];
}

/** The server's own timeouts on its clients (headers no longer than the whole request). */
function serverTimeouts(options: ServiceOptions): {
  requestTimeout: number;
  headersTimeout: number;
} {
  const requestTimeout = positive(options.requestTimeout, "requestTimeout") ?? 60_000;
  const headersTimeout = positive(options.headersTimeout, "headersTimeout") ?? 10_000;
  return { requestTimeout, headersTimeout: Math.min(headersTimeout, requestTimeout) };
}

function positive(value: number | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isFinite(value) || value < 1) {
    throw new InvalidOptionsError(`${name} must be a positive number of milliseconds`, {
      data: { [name]: value },
    });
  }
  return value;
}
