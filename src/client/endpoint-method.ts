/**
 * Builds the function behind one client method: validate input (nothing is sent when invalid),
 * send, parse the reply with the output schema. The same code serves typed clients (zod),
 * clients built from the wire (JSON Schema) and gateway proxies.
 */
import type { Dispatcher } from "undici";
import type { HttpBinding } from "../contract/endpoint.js";
import { ResponseInvalidError } from "../errors.js";
import { describeIssues, parseInput } from "../contract/validator.js";
import type { Validator } from "../contract/validator.js";
import { sendHttp } from "./http-endpoint.js";
import type { CallOptions, HttpTransport } from "./transport.js";

/** What a client needs to know to call one endpoint. */
export interface EndpointSpec {
  name: string;
  /** Path relative to the client's base, e.g. `/echo`. */
  path: string;
  method: Dispatcher.HttpMethod;
  input?: Validator | undefined;
  output?: Validator | undefined;
  /** The app's own HTTP request for a call (non-Portico apps); `method` and `path` then unused. */
  http?: HttpBinding | undefined;
}

/** A client method: one input object, per-call options, a Promise of the output. */
export type EndpointFunction = (input?: unknown, options?: CallOptions) => Promise<unknown>;

/** Turns an endpoint spec into a callable method bound to a transport. */
export function createEndpointFunction(
  transport: HttpTransport,
  spec: EndpointSpec,
  pathPrefix = "",
): EndpointFunction {
  const path = pathPrefix + spec.path;
  const label = `${pathPrefix ? pathPrefix.slice(1) + "." : ""}${spec.name}`;
  return async (input, options = {}) => {
    const payload =
      spec.input && options.validateInput !== false ? parseInput(spec.input, input, label) : input;
    const reply = spec.http
      ? await sendHttp(transport, spec.http, { pathPrefix, input: payload, label, call: options })
      : await transport.call(
          spec.method,
          path,
          spec.method === "GET" ? undefined : (payload ?? {}),
          options,
        );
    if (!spec.output || options.validateOutput === false) return reply;
    const result = spec.output(reply);
    if (result.ok) return result.value;
    throw new ResponseInvalidError(
      `Reply of ${label} does not match its output schema: ${describeIssues(result.issues)}`,
      { data: { issues: result.issues, body: reply } },
    );
  };
}
