/**
 * Calls to the gateway. The token lives in this module's variable only: never in storage,
 * cookies or the URL, so closing the tab forgets it.
 */
import type { WireError } from "./types";

let token = "";

/** Sets the bearer token sent with every call ("" sends none). */
export function setToken(value: string): void {
  token = value.trim();
}

/** The Authorization header for the current token, if any. */
export function authHeaders(): Record<string, string> {
  return token === "" ? {} : { authorization: `Bearer ${token}` };
}

/** A reply as the page shows it: status, parsed body, and the Portico error when there is one. */
export interface Reply {
  status: number;
  ok: boolean;
  body: unknown;
  text: string;
  error?: WireError;
}

/** Options of a request. */
export interface RequestInit {
  method?: string;
  body?: string;
  headers?: Record<string, string>;
}

/** Sends one request with the token; network failures come back as status 0, never a throw. */
export async function send(url: string, init: RequestInit = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...authHeaders(), ...init.headers };
  if (init.body !== undefined) headers["content-type"] ??= "application/json";
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method ?? "GET",
      headers,
      cache: "no-store",
      ...(init.body !== undefined ? { body: init.body } : {}),
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      status: 0,
      ok: false,
      body: undefined,
      text: "",
      error: { code: "NETWORK_ERROR", message: `The gateway did not answer: ${message}` },
    };
  }
  const text = await response.text().catch(() => "");
  const body = parseJson(text);
  const error = response.ok ? undefined : wireError(body, response);
  return { status: response.status, ok: response.ok, body, text, ...(error ? { error } : {}) };
}

/** A failed call of one of the gateway's own endpoints. */
export class CallError extends Error {
  constructor(
    readonly status: number,
    readonly wire: WireError,
  ) {
    super(`${wire.code}: ${wire.message}`);
  }
}

/** Calls the gateway's endpoint `name` with `input` (POST JSON); throws CallError on failure. */
export async function callTask<T>(name: string, input: unknown = {}): Promise<T> {
  const reply = await send(`/${name}`, { method: "POST", body: JSON.stringify(input) });
  if (!reply.ok || reply.error) {
    throw new CallError(reply.status, reply.error ?? { code: "REMOTE_ERROR", message: "" });
  }
  return reply.body as T;
}

/** True for refusals a token would fix. */
export function isRefusal(status: number): boolean {
  return status === 401 || status === 403;
}

function parseJson(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function wireError(body: unknown, response: Response): WireError {
  const error = (body as { error?: Partial<WireError> } | undefined)?.error;
  if (error && typeof error.code === "string") {
    return { code: error.code, message: String(error.message ?? ""), data: error.data };
  }
  return { code: `HTTP_${response.status}`, message: response.statusText || "No error body" };
}
