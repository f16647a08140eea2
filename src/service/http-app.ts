/**
 * Turns a service's endpoints into a fastify app: JSON body parsing, input validation (422),
 * output checking, and one error format `{ error: { code, message, data } }` for everything.
 */
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import Fastify from "fastify";
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { describeIssues, zodValidator } from "../contract/validator.js";
import type { Validator } from "../contract/validator.js";
import {
  BadRequestError,
  EndpointNotFoundError,
  InternalError,
  MethodNotAllowedError,
  OutputValidationError,
  PayloadTooLargeError,
  PorticoError,
  ServiceStoppingError,
  UnsupportedMediaTypeError,
  ValidationError,
} from "../errors.js";
import type { RegisteredEndpoint } from "./endpoint.js";

/** What the app builder needs from a service. */
export interface AppHost {
  endpoints(): Iterable<RegisteredEndpoint>;
  isStopping(): boolean;
  openApi(): unknown;
  docsPage(): string;
  /** Handles a request before fastify routing; returns true when it did (gateway forwarding). */
  handleRaw(req: IncomingMessage, res: ServerResponse): boolean;
  logger: boolean | Record<string, unknown>;
  bodyLimit: number;
}

const ALL_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"] as const;

/** Builds the fastify app of a service. */
export function buildHttpApp(host: AppHost): FastifyInstance {
  const app = Fastify({
    logger: host.logger,
    bodyLimit: host.bodyLimit,
    serverFactory: (handler) =>
      createServer((req, res) => {
        if (!host.handleRaw(req, res)) handler(req, res);
      }),
  });
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_req, body, done) => {
    // An empty JSON body means "no input", as clients that POST without a body expect.
    if (body === "" || body === undefined) return done(null, undefined);
    try {
      done(null, JSON.parse(body as string));
    } catch (cause) {
      done(
        new BadRequestError(`Request body is not valid JSON: ${(cause as Error).message}`),
        undefined,
      );
    }
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((request, reply) => {
    const error = new EndpointNotFoundError(`No endpoint at ${request.method} ${request.url}`);
    void reply.code(404).send(error.toJSON());
  });
  for (const endpoint of host.endpoints()) addRoute(app, host, endpoint);
  app.get("/openapi.json", () => host.openApi());
  app.get("/docs", (_request, reply) =>
    reply.type("text/html; charset=utf-8").send(host.docsPage()),
  );
  return app;
}

function addRoute(app: FastifyInstance, host: AppHost, endpoint: RegisteredEndpoint): void {
  const input: Validator | undefined = endpoint.task?.input && zodValidator(endpoint.task.input);
  const output: Validator | undefined = endpoint.task?.output && zodValidator(endpoint.task.output);
  const allowed = new Set<string>(endpoint.methods);
  app.route({
    method: [...ALL_METHODS],
    url: `/${endpoint.name}`,
    handler: async (request: FastifyRequest, reply: FastifyReply) => {
      if (!allowed.has(request.method)) {
        void reply.header("allow", endpoint.methods.join(", "));
        throw new MethodNotAllowedError(
          `${request.method} is not allowed on /${endpoint.name} (allowed: ${endpoint.methods.join(", ")})`,
        );
      }
      if (!endpoint.builtin && host.isStopping()) {
        throw new ServiceStoppingError("The service is shutting down");
      }
      const parsed = input ? validateInput(input, request.body, endpoint.name) : undefined;
      const controller = new AbortController();
      const onClose = (): void => {
        if (!reply.raw.writableFinished) controller.abort();
      };
      request.raw.once("close", onClose);
      const result = await endpoint.handler(parsed as never, {
        request,
        signal: controller.signal,
      });
      request.raw.off("close", onClose);
      if (!output) return result === undefined ? reply.code(204).send() : result;
      const checked = output(result);
      if (!checked.ok) {
        throw new OutputValidationError(
          `Endpoint ${endpoint.name} returned an invalid value: ${describeIssues(checked.issues)}`,
          { data: { issues: checked.issues } },
        );
      }
      return checked.value;
    },
  });
}

function validateInput(input: Validator, body: unknown, name: string): unknown {
  const result = input(body === undefined ? {} : body);
  if (result.ok) return result.value;
  throw new ValidationError(`Invalid input for ${name}: ${describeIssues(result.issues)}`, {
    issues: result.issues,
  });
}

function errorHandler(
  error: FastifyError | PorticoError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const mapped = toPorticoError(error);
  if (mapped.status >= 500) request.log.error({ err: error }, "endpoint failed");
  void reply.code(mapped.status).send(mapped.toJSON());
}

/** Maps anything thrown while handling a request to a catalogue error. */
export function toPorticoError(error: unknown): PorticoError {
  if (error instanceof PorticoError) return error;
  const fastifyError = error as FastifyError;
  switch (fastifyError.code) {
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return new PayloadTooLargeError(fastifyError.message);
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return new UnsupportedMediaTypeError(fastifyError.message);
    default:
      if (
        fastifyError.statusCode &&
        fastifyError.statusCode >= 400 &&
        fastifyError.statusCode < 500
      ) {
        return new BadRequestError(fastifyError.message, { cause: error });
      }
      return new InternalError(`Handler failed: ${(error as Error)?.message ?? String(error)}`, {
        cause: error,
      });
  }
}
