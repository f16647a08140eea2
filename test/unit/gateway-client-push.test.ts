/**
 * The pure parts of a gateway client's push: the server-sent events parser (any line ending, any
 * chunking), the change fan-out's per-iterator buffers, and the view's monotonic rule, as a
 * property: whatever order pushed changes and list replies of any revision arrive in, the view
 * equals the gateway's state at the newest revision it has heard of.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChangeHub } from "../../src/gateway/client/change-hub.js";
import type { GatewayChange } from "../../src/gateway/client/change-hub.js";
import { SseParser } from "../../src/gateway/client/event-stream.js";
import type { ServerEvent } from "../../src/gateway/client/event-stream.js";
import { LiveView } from "../../src/gateway/client/live-view.js";
import type { AppInfo } from "../../src/gateway/tasks.js";

const bytes = (text: string) => new TextEncoder().encode(text);

/** Feeds `text` to a parser cut at `cuts` (byte offsets) and returns every event. */
function parse(text: string, cuts: number[] = []): ServerEvent[] {
  const parser = new SseParser();
  const all = bytes(text);
  const ends = [...new Set(cuts.filter((c) => c > 0 && c < all.length))].sort((a, b) => a - b);
  let start = 0;
  const events: ServerEvent[] = [];
  for (const end of [...ends, all.length]) {
    events.push(...parser.push(all.subarray(start, end)));
    start = end;
  }
  return events;
}

describe("the server-sent events parser", () => {
  it("reads fields, comments, several data lines and every line ending", () => {
    const text =
      'retry: 1000\n\n: ping\n\nevent: ready\ndata: {"revision":3}\n\n' +
      "event:app_registered\r\nid: 4\r\ndata: a\r\ndata:  b\r\n\r\n" +
      "data: no event name\r\rdata\n\nevent: empty\n\n";
    expect(parse(text)).toEqual([
      { event: "ready", data: '{"revision":3}', id: undefined },
      { event: "app_registered", data: "a\n b", id: "4" },
      { event: "message", data: "no event name", id: undefined },
      { event: "message", data: "", id: undefined },
    ]);
  });

  it("gives the same events however the bytes are cut (CRLF and UTF-8 split included)", () => {
    const text = 'event: é\r\ndata: {"name":"ü→"}\r\n\r\nevent: b\rdata: 2\r\r: x\n';
    const whole = parse(text);
    fc.assert(
      fc.property(fc.array(fc.nat({ max: bytes(text).length })), (cuts) => {
        expect(parse(text, cuts)).toEqual(whole);
      }),
    );
  });

  it("round-trips any events written with any line ending", () => {
    const line = fc.string({ unit: "grapheme" }).map((s) => s.replace(/[\r\n]/g, ""));
    const event = fc.record({
      event: line.filter((s) => s !== ""),
      data: fc.array(line, { minLength: 1, maxLength: 3 }),
    });
    fc.assert(
      fc.property(
        fc.array(event),
        fc.constantFrom("\n", "\r", "\r\n"),
        fc.array(fc.nat()),
        (events, eol, cuts) => {
          const text = events
            .map(
              (e) =>
                `event: ${e.event}${eol}${e.data.map((d) => `data: ${d}${eol}`).join("")}${eol}`,
            )
            .join("");
          const expected = events.map((e) => ({
            event: e.event,
            data: e.data.join("\n"),
            id: undefined,
          }));
          expect(parse(text, cuts)).toEqual(expected);
        },
      ),
    );
  });
});

describe("the change fan-out", () => {
  const change = (revision: number): GatewayChange => ({
    type: "app_unregistered",
    revision,
    name: "a",
  });

  it("buffers per iterator, ends after the buffer on close, and collapses an overflow into resync", async () => {
    const hub = new ChangeHub();
    const slow = hub.changes();
    const left = hub.changes();
    await left.return?.();
    for (let r = 1; r <= 1_025; r++) hub.emit(change(r));
    hub.emit(change(1_026));
    hub.close();
    expect((await slow.next()).value).toEqual({ type: "resync", revision: 1_025 });
    expect((await slow.next()).value).toEqual(change(1_026));
    expect(await slow.next()).toEqual({ done: true, value: undefined });
    expect(await left.next()).toEqual({ done: true, value: undefined });
  });

  it("listeners are added once and removed by the returned function", () => {
    const hub = new ChangeHub();
    const heard: number[] = [];
    const listener = (c: GatewayChange) => heard.push(c.revision);
    const stop = hub.on("change", listener);
    hub.on("change", listener);
    hub.emit(change(1));
    stop();
    hub.emit(change(2));
    expect(heard).toEqual([1]);
  });
});

describe("the view's revisions (property)", () => {
  const NAMES = ["a", "b", "c"];
  const info = (name: string, version: number): AppInfo => ({
    name,
    url: `http://127.0.0.1:${1000 + version}`,
    endpoints: {},
  });
  /** One gateway history: the changes, and its state after each revision. */
  const history = fc
    .array(fc.record({ name: fc.constantFrom(...NAMES), put: fc.boolean() }), {
      maxLength: 12,
    })
    .map((ops) => {
      const states: AppInfo[][] = [[]];
      const changes: GatewayChange[] = [];
      const apps = new Map<string, AppInfo>();
      for (const op of ops) {
        const revision = changes.length + 1;
        if (op.put) {
          const app = info(op.name, revision);
          changes.push({
            type: apps.has(op.name) ? "app_updated" : "app_registered",
            revision,
            name: op.name,
            app,
          });
          apps.set(op.name, app);
        } else if (apps.delete(op.name)) {
          changes.push({ type: "app_unregistered", revision, name: op.name });
        } else continue;
        states.push([...apps.values()]);
      }
      return { changes, states };
    });
  const sorted = (apps: AppInfo[]) => [...apps].sort((x, y) => x.name.localeCompare(y.name));

  it("equals the state at the newest revision heard of, whatever order changes and lists arrive in", () => {
    fc.assert(
      fc.property(history, fc.array(fc.tuple(fc.nat(), fc.nat())), ({ changes, states }, lists) => {
        const view = new LiveView();
        // Lists of any revision, each delivered before some change (late or early replies).
        const byStep = new Map<number, number[]>();
        for (const [at, revision] of lists) {
          const step = at % (changes.length + 1);
          byStep.set(step, [...(byStep.get(step) ?? []), revision % states.length]);
        }
        let newest = 0;
        for (let step = 0; step <= changes.length; step++) {
          for (const revision of byStep.get(step) ?? []) {
            view.list(states[revision]!, revision);
            newest = Math.max(newest, revision);
            expect(sorted(view.apps())).toEqual(sorted(states[newest]!));
          }
          const change = changes[step];
          if (!change) break;
          view.change(change);
          newest = Math.max(newest, change.revision);
          expect(sorted(view.apps())).toEqual(sorted(states[newest]!));
        }
      }),
      { numRuns: 500 },
    );
  });
});
