/**
 * Watches a call the gateway makes itself for a caller (an MCP tool call), through the same
 * ForwardObserver as forwarded traffic: the call counts under its app like any other.
 */
import type { IncomingMessage } from "node:http";
import { PorticoError } from "../errors.js";
import { CALLER_GONE_STATUS } from "./app-metrics.js";
import type { ForwardObserver } from "./forward-observer.js";

/** How an observed call is made and read. */
export interface ObservedCall<T> {
  req: IncomingMessage;
  app: string;
  run: () => Promise<T>;
  /** The status its result stands for (the app's HTTP status, or 200/422 for a tool's result). */
  statusOf: (result: T) => number;
  /** Whether the caller went away (a failure then ends as 499, no fault of the app). */
  gone: () => boolean;
}

/** Runs `call.run()`, telling `observer` (when there is one) how it ended. */
export async function observeCall<T>(
  observer: ForwardObserver | undefined,
  call: ObservedCall<T>,
): Promise<T> {
  if (!observer) return call.run();
  const observation = observer.start(call.req, call.app);
  let result: T;
  try {
    result = await call.run();
  } catch (error) {
    if (call.gone()) observation.end(CALLER_GONE_STATUS);
    else if (error instanceof PorticoError) observation.end(error.status, error.code);
    else observation.end(500);
    throw error;
  }
  observation.end(call.statusOf(result));
  return result;
}
