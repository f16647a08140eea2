/**
 * A loopback server that answers like a gateway (heartbeat, list_apps, list_apps_with_schemas) and
 * whose `/events` replies are scripted per request: a client's parser and reconnect loop meet
 * what a real gateway never sends on purpose (404, 503, odd frames, a revision going back).
 */
import { createServer } from "node:http";
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { AppInfo } from "../../src/gateway/tasks.js";

/** Answers the nth `/events` request (0-based); leave `res` open to keep the stream. */
export type EventsScript = (res: ServerResponse, n: number) => void;

/** The fake gateway. */
export interface ScriptedGateway extends AsyncDisposable {
  url: string;
  /** `METHOD url` of every request. */
  seen: string[];
  /** Headers of every `/events` request. */
  eventHeaders: IncomingHttpHeaders[];
  /** What `list_apps_with_schemas` answers (and `list_apps`, by name). */
  apps: AppInfo[];
  /** The `revision` of list replies (none when undefined). */
  revision: number | undefined;
}

/** `text/event-stream` headers, then `frames` written at once. */
export function openStream(res: ServerResponse, frames = ""): void {
  res.writeHead(200, { "content-type": "text/event-stream; charset=utf-8" });
  res.write(frames);
}

/** One change frame, as a gateway writes it. */
export function changeFrame(type: string, revision: number, name: string, app?: AppInfo): string {
  return `event: ${type}\nid: ${revision}\ndata: ${JSON.stringify({ type, revision, name, app })}\n\n`;
}

/** The `ready` frame. */
export function readyFrame(revision: number): string {
  return `event: ready\ndata: {"revision":${revision}}\n\n`;
}

/** Starts the fake gateway. */
export async function startScriptedGateway(script: EventsScript): Promise<ScriptedGateway> {
  let streams = 0;
  const gateway: ScriptedGateway = {
    url: "",
    seen: [],
    eventHeaders: [],
    apps: [],
    revision: undefined,
    [Symbol.asyncDispose]: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
  const server = createServer((req, res) => {
    gateway.seen.push(`${req.method} ${req.url}`);
    if (req.url?.startsWith("/events")) {
      gateway.eventHeaders.push(req.headers);
      script(res, streams++);
      return;
    }
    req.resume();
    req.on("end", () => {
      const replies: Record<string, unknown> = {
        "/status": { status: "Available" },
        "/heartbeat": { heartbeat: { status: "Available", server_id: "scripted", message: "ok" } },
        "/list_apps": { apps: gateway.apps.map((a) => a.name) },
        "/list_apps_with_schemas": { apps: gateway.apps, revision: gateway.revision },
      };
      const reply = replies[req.url ?? ""];
      res.writeHead(reply ? 200 : 404, { "content-type": "application/json" });
      res.end(JSON.stringify(reply ?? { error: { code: "ENDPOINT_NOT_FOUND", message: "no" } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  gateway.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return gateway;
}
