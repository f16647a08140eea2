/**
 * A subscribed gateway client against a scripted `/events` (a node:http server, no Gateway): what
 * a real gateway does only on a bad day. A gateway without `/events`, a stream that fails then
 * comes, odd frames, a revision that goes back, and the client's token on the stream.
 */
import type { ServerResponse } from "node:http";
import { describe, expect, it } from "vitest";
import { Gateway } from "../../src/gateway/gateway.js";
import { waitFor } from "../helpers/fixtures.js";
import { watchChanges } from "../helpers/push-gateway.js";
import {
  changeFrame,
  openStream,
  readyFrame,
  startScriptedGateway,
} from "../helpers/scripted-gateway.js";

const APP = { name: "a", url: "http://127.0.0.1:9", endpoints: {} };
const events = (seen: string[]) => seen.filter((r) => r.startsWith("GET /events"));

describe("a subscribed client against a scripted /events", () => {
  it("a gateway without /events (404): one attempt, then the pull client", async () => {
    await using fake = await startScriptedGateway((res) => {
      res.writeHead(404, { "content-type": "application/json" });
      res.end('{"error":{"code":"ENDPOINT_NOT_FOUND","message":"no"}}');
    });
    fake.apps = [APP];
    await using gw = await Gateway.connect(fake.url);
    expect((await gw.registeredApps()).map((a) => a.name)).toEqual(["a"]);
    expect((await gw.registeredApps()).map((a) => a.name)).toEqual(["a"]);
    // Never live: each listing asks the gateway, and nothing retries the stream.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fake.seen).toEqual([
      "POST /heartbeat",
      "GET /events",
      "POST /list_apps",
      "POST /list_apps_with_schemas",
      "POST /list_apps_with_schemas",
    ]);
  });

  it("a stream that fails first (503) is retried, and then followed", async () => {
    let live: ServerResponse | undefined;
    await using fake = await startScriptedGateway((res, n) => {
      if (n === 0) {
        res.writeHead(503);
        res.end();
      } else {
        openStream(res, readyFrame(0));
        live = res;
      }
    });
    await using gw = await Gateway.connect(fake.url);
    const changes = watchChanges(gw);
    expect(await waitFor(() => live !== undefined)).toBe(true);
    live!.write(changeFrame("app_registered", 1, "a", APP));
    await changes.until((c) => c.revision === 1);
    expect(events(fake.seen)).toEqual(["GET /events", "GET /events"]);
  });

  it("odd frames: comments, CR and CRLF endings, split writes, junk, duplicates; only changes pass", async () => {
    let live: ServerResponse | undefined;
    await using fake = await startScriptedGateway((res) => {
      openStream(res, "retry: 1000\r\n\r\n: ping\r\n\r\n" + readyFrame(0));
      live = res;
    });
    await using gw = await Gateway.connect(fake.url);
    const changes = watchChanges(gw);
    const registered = changeFrame("app_registered", 1, "a", APP);
    live!.write(registered.slice(0, 17));
    live!.write(registered.slice(17).replace(/\n/g, "\r"));
    live!.write("event: app_registered\ndata: not json\n\n");
    live!.write('event: app_registered\ndata: {"type":"app_registered","revision":2}\n\n');
    live!.write('event: instance_up\ndata: {"type":"instance_up","revision":2}\n\n');
    live!.write(registered.replace(/\n/g, "\r\n")); // the same revision again
    live!.write(changeFrame("app_unregistered", 2, "a"));
    await changes.until((c) => c.revision === 2);
    expect(changes.seen.map((c) => [c.type, c.revision])).toEqual([
      ["app_registered", 1],
      ["app_unregistered", 2],
    ]);
    expect(await gw.registeredApps()).toEqual([]);
    expect(fake.seen).not.toContain("POST /list_apps_with_schemas");
  });

  it("a revision that went back (a store restored from an older save): reload, then resync", async () => {
    let first: ServerResponse | undefined;
    await using fake = await startScriptedGateway((res, n) => {
      openStream(res, readyFrame(n === 0 ? 5 : 2));
      if (n === 0) first = res;
    });
    await using gw = await Gateway.connect(fake.url);
    const changes = gw.changes();
    fake.apps = [{ ...APP, name: "b" }]; // what the restored store holds
    fake.revision = 2;
    first!.end(changeFrame("app_registered", 6, "a", APP));
    expect((await changes.next()).value).toMatchObject({ type: "app_registered", revision: 6 });
    expect((await changes.next()).value).toEqual({ type: "resync", revision: 2 });
    expect(events(fake.seen)).toEqual(["GET /events", "GET /events?since=6"]);
    expect((await gw.registeredApps()).map((a) => a.name)).toEqual(["b"]);
  });

  it("the stream goes through the client's pool with its token", async () => {
    await using fake = await startScriptedGateway((res) => openStream(res, readyFrame(0)));
    await using gw = await Gateway.connect(fake.url, { token: "s3cret" });
    expect(gw.url).toBe(fake.url);
    expect(fake.eventHeaders).toHaveLength(1);
    expect(fake.eventHeaders[0]).toMatchObject({
      authorization: "Bearer s3cret",
      accept: "text/event-stream",
    });
  });
});
