/**
 * The seam between forwarding and what watches it (metrics, logs, traces): the forwarder calls
 * `start` once per request it routes to an app and `end` once when the reply's status is known.
 * Observers are composed at wiring time; with none configured the forwarder pays one branch.
 */
import type { IncomingMessage } from "node:http";

/** One forwarded request being watched. */
export interface ForwardObservation {
  /**
   * The reply's status is known: the upstream's status, or the gateway's own error reply
   * (`code` is then the Portico error code, e.g. UPSTREAM_UNAVAILABLE). Called exactly once.
   */
  end(status: number, code?: string): void;
}

/** Something that watches forwarded requests. */
export interface ForwardObserver {
  /** A request for the registered app `app` is about to be forwarded (after the access policy). */
  start(req: IncomingMessage, app: string): ForwardObservation;
}

/** One observer made of several (undefined when there are none, so the hot path skips it). */
export function composeObservers(
  observers: readonly (ForwardObserver | undefined)[],
): ForwardObserver | undefined {
  const present = observers.filter((o): o is ForwardObserver => o !== undefined);
  if (present.length === 0) return undefined;
  if (present.length === 1) return present[0];
  if (present.length === 2) return pair(present[0]!, present[1]!);
  return {
    start(req, app) {
      const seen = present.map((o) => o.start(req, app));
      return {
        end(status, code) {
          for (const s of seen) s.end(status, code);
        },
      };
    },
  };
}

/** Two observers (counts and log lines, the usual case) without an array per request. */
function pair(first: ForwardObserver, second: ForwardObserver): ForwardObserver {
  return {
    start(req, app) {
      const a = first.start(req, app);
      const b = second.start(req, app);
      return {
        end(status, code) {
          a.end(status, code);
          b.end(status, code);
        },
      };
    },
  };
}
