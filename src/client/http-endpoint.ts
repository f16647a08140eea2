/**
 * Calls of endpoints with an `http` binding (apps that are not Portico services, described by
 * OpenAPI): the one input object is taken apart again into the app's own request, with path
 * parameters substituted and percent-encoded, query parameters in the query string (arrays
 * repeated: `tag=a&tag=b`) and the rest as the JSON body.
 */
import type { Dispatcher } from "undici";
import type { HttpBinding } from "../contract/endpoint.js";
import { ValidationError } from "../errors.js";
import type { CallOptions, HttpTransport } from "./transport.js";

/** One plain HTTP request, its path relative to the app. */
export interface HttpRequest {
  method: Dispatcher.HttpMethod;
  /** Path with parameters filled in, and the query string. */
  path: string;
  /** The JSON body; undefined sends none. */
  body: unknown;
}

type Json = Record<string, unknown>;

/**
 * The request a call with `input` (already validated) stands for. A path parameter that is
 * missing or empty would change which route is called: that is refused with VALIDATION_FAILED.
 */
export function toHttpRequest(binding: HttpBinding, input: unknown, label: string): HttpRequest {
  const rest: Json = isRecord(input) ? { ...input } : {};
  let path = binding.path;
  const query: string[] = [];
  for (const parameter of binding.parameters) {
    const property = parameter.property ?? parameter.name;
    const value = rest[property];
    delete rest[property];
    if (parameter.in === "path") {
      path = path.split(`{${parameter.name}}`).join(pathValue(value, property, label));
    } else {
      query.push(...queryPairs(parameter.name, value));
    }
  }
  const body = binding.body === "fields" ? rest : binding.body === "value" ? rest.body : undefined;
  const search = query.length > 0 ? `?${query.join("&")}` : "";
  return { method: binding.method, path: path + search, body };
}

/** Sends the request of one call through `transport` (non-2xx replies throw, as for any call). */
export function sendHttp(
  transport: HttpTransport,
  binding: HttpBinding,
  options: { pathPrefix: string; input: unknown; label: string; call: CallOptions },
): Promise<unknown> {
  const request = toHttpRequest(binding, options.input, options.label);
  return transport.call(
    request.method,
    options.pathPrefix + request.path,
    request.body,
    options.call,
  );
}

/** One path segment: `simple` style (arrays comma-joined), percent-encoded, `/` included. */
function pathValue(value: unknown, property: string, label: string): string {
  const text = Array.isArray(value) ? value.map(scalar).join(",") : scalar(value);
  if (value === undefined || value === null || text === "") {
    throw new ValidationError(`Invalid input for ${label}: ${property}: path parameter missing`, {
      issues: [{ path: [property], message: "path parameter missing", code: "required" }],
    });
  }
  return encodeURIComponent(text);
}

/** `form` style, exploded: arrays repeat the name, objects give one pair per field. */
function queryPairs(name: string, value: unknown): string[] {
  if (value === undefined || value === null) return [];
  const pair = (key: string, v: unknown): string =>
    `${encodeURIComponent(key)}=${encodeURIComponent(scalar(v))}`;
  if (Array.isArray(value)) return value.map((item) => pair(name, item));
  if (isRecord(value)) return Object.entries(value).map(([key, v]) => pair(key, v));
  return [pair(name, value)];
}

function scalar(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean" || typeof value === "bigint") {
    return String(value);
  }
  return JSON.stringify(value) ?? "";
}

function isRecord(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
