/**
 * `GET /events`: the gateway's changes as server-sent events (see `sse-frames.ts` for the wire
 * format). Replay starts after `Last-Event-ID` (what an EventSource sends when it reconnects)
 * or else `?since=`; neither means live changes only. The access action is "call".
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { HTTP_METHODS } from "../../contract/endpoint.js";
import { BadRequestError, MethodNotAllowedError, ServiceStoppingError } from "../../errors.js";
import { clipText } from "../../net/url.js";
import { CATCH_UP_MS } from "../state/feed-follower.js";
import type { FeedFollower } from "../state/feed-follower.js";
import type { EventStreams } from "./event-streams.js";
import { STREAM_HEADERS } from "./sse-frames.js";

/** What the route needs from the gateway. */
export interface EventsRouteHost {
  streams: EventStreams;
  /** The gateway's feed, once its registry is open. */
  feed(): Promise<FeedFollower>;
}

const REVISION = /^\d{1,15}$/;

/** Adds `/events` to the gateway's app, and ends every stream when the app closes. */
export function registerEventsRoute(app: FastifyInstance, host: EventsRouteHost): void {
  app.route({
    method: [...HTTP_METHODS],
    url: "/events",
    config: { access: "call" },
    handler: (request, reply) => openStream(host, request, reply),
  });
  // Before the server waits for its connections to finish: a stream never finishes by itself.
  app.addHook("preClose", (done) => {
    host.streams.close();
    done();
  });
}

async function openStream(
  host: EventsRouteHost,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<void> {
  if (request.method !== "GET" && request.method !== "HEAD") {
    void reply.header("allow", "GET");
    throw new MethodNotAllowedError(`${request.method} is not allowed on /events (allowed: GET)`);
  }
  const since = requestedRevision(request);
  if (host.streams.closed) throw new ServiceStoppingError("The gateway is shutting down");
  const feed = await host.feed();
  // A client that saw a newer revision (on another replica a moment ago) waits for this one.
  if (since !== undefined && since > feed.revision) await feed.catchUp(CATCH_UP_MS);
  if (request.method === "HEAD") {
    void reply.code(200).headers(STREAM_HEADERS).send();
    return;
  }
  if (host.streams.closed) throw new ServiceStoppingError("The gateway is shutting down");
  reply.hijack();
  // The client may have left while the feed opened: its response is gone already.
  if (reply.raw.destroyed) return;
  host.streams.attach(reply.raw, feed, since);
}

/** `Last-Event-ID` (newer than `since` on a reconnect), else `?since=`; 400 when malformed. */
function requestedRevision(request: FastifyRequest): number | undefined {
  const lastEventId = request.headers["last-event-id"];
  if (lastEventId !== undefined) return parseRevision(lastEventId, "Last-Event-ID");
  const since = (request.query as Record<string, unknown> | undefined)?.since;
  return since === undefined ? undefined : parseRevision(since, "since");
}

function parseRevision(value: unknown, source: string): number {
  if (typeof value === "string" && REVISION.test(value)) return Number(value);
  const shown = typeof value === "string" ? clipText(value) : value;
  throw new BadRequestError(`${source} must be a revision: a non-negative integer`, {
    data: { [source]: shown },
  });
}
