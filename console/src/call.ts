/** How a "try it" form becomes a request through the gateway: `/<app>/<path>` with the input. */
import type { AppInfo, EndpointDescriptor } from "./types";

/** One request to send. */
export interface PlannedRequest {
  method: string;
  url: string;
  body?: string;
}

/**
 * The request for `endpoint` of `app` with `input` (an object, or the raw JSON text the user
 * typed, sent as it is). Endpoints with an HTTP binding (OpenAPI apps) put parameters into the
 * path and query; the others take the input as their JSON body.
 */
export function planRequest(
  app: AppInfo,
  endpoint: EndpointDescriptor,
  input: unknown,
  rawText?: string,
): PlannedRequest {
  const base = `/${encodeURIComponent(app.name)}`;
  const http = endpoint.http;
  if (!http) {
    const method = endpoint.methods.includes("POST") ? "POST" : (endpoint.methods[0] ?? "POST");
    const url = base + endpoint.path;
    if (method === "GET" || method === "HEAD") return { method, url };
    const body = rawText ?? (endpoint.input_schema === null ? undefined : JSON.stringify(input));
    return { method, url, ...(body !== undefined ? { body } : {}) };
  }
  const fields: Record<string, unknown> = isRecord(input) ? { ...input } : {};
  let path = http.path;
  const query = new URLSearchParams();
  for (const parameter of http.parameters) {
    const property = parameter.property ?? parameter.name;
    const value = fields[property];
    delete fields[property];
    if (parameter.in === "path") {
      path = path.split(`{${parameter.name}}`).join(encodeURIComponent(text(value)));
    } else if (Array.isArray(value)) {
      for (const item of value) query.append(parameter.name, text(item));
    } else if (value !== undefined) {
      query.append(parameter.name, text(value));
    }
  }
  const search = query.toString();
  const url = base + path + (search ? `?${search}` : "");
  const value = http.body === "fields" ? fields : http.body === "value" ? fields.body : undefined;
  return {
    method: http.method,
    url,
    ...(http.body !== null && value !== undefined ? { body: JSON.stringify(value) } : {}),
  };
}

function text(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return typeof value === "string" ? value : JSON.stringify(value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
