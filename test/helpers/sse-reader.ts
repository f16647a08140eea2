/**
 * A raw server-sent events reader for tests: one plain HTTP connection, every frame parsed as it
 * arrives (comments and `retry` included, which an EventSource hides), read one at a time with a
 * deadline (a guard against a hang, not a timing assertion). Closed by `await using`.
 */
import { request } from "node:http";
import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";

/** One frame: the fields of one block between blank lines (`comment` for `: ...` lines). */
export interface SseFrame {
  event?: string;
  id?: string;
  data?: string;
  retry?: string;
  comment?: string;
}

/** An open stream, or a refusal (then `body` holds the whole reply). */
export interface SseReader extends AsyncDisposable {
  status: number;
  headers: IncomingHttpHeaders;
  /** The reply body of a refused request (status other than 200). */
  body: string;
  /** Every frame received so far, in order. */
  readonly frames: SseFrame[];
  /** The next `count` frames not read yet; rejects when they do not come within `ms`. */
  next(count?: number, ms?: number): Promise<SseFrame[]>;
  /** The next frames up to and including the first `event` named `name` (skipping pings). */
  until(name: string, ms?: number): Promise<SseFrame[]>;
  /** Resolves true once the server ended the stream, false after `ms`. */
  ended(ms?: number): Promise<boolean>;
  close(): void;
}

/** GETs `url` and resolves once the reply's headers (or, for a refusal, its body) arrived. */
export function openSse(url: string, headers: OutgoingHttpHeaders = {}): Promise<SseReader> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", headers, agent: false });
    req.once("error", reject);
    req.once("response", (res) => {
      const frames: SseFrame[] = [];
      let read = 0;
      let pending = "";
      let isEnded = false;
      const wakers = new Set<() => void>();
      const wake = (): void => {
        for (const waker of wakers) waker();
      };
      res.setEncoding("utf8");
      const refused = res.statusCode !== 200;
      res.on("data", (text: string) => {
        pending += text;
        if (refused) return;
        let end: number;
        while ((end = pending.indexOf("\n\n")) !== -1) {
          frames.push(parseFrame(pending.slice(0, end)));
          pending = pending.slice(end + 2);
        }
        wake();
      });
      const finish = (): void => {
        isEnded = true;
        wake();
      };
      res.once("end", finish);
      res.once("close", finish);
      res.once("error", finish);
      const waitUntil = (ready: () => boolean, ms: number, what: string): Promise<void> =>
        new Promise((done, fail) => {
          const check = (): void => {
            if (ready()) settle();
            else if (isEnded) settle(new Error(`the stream ended before ${what}`));
          };
          const timer = setTimeout(() => settle(new Error(`no ${what} within ${ms} ms`)), ms);
          const settle = (error?: Error): void => {
            clearTimeout(timer);
            wakers.delete(check);
            if (error) fail(error);
            else done();
          };
          wakers.add(check);
          check();
        });
      const reader: SseReader = {
        status: res.statusCode ?? 0,
        headers: res.headers,
        body: "",
        frames,
        async next(count = 1, ms = 5_000) {
          await waitUntil(() => frames.length >= read + count, ms, `${count} frame(s)`);
          read += count;
          return frames.slice(read - count, read);
        },
        async until(name, ms = 5_000) {
          const at = (): number => frames.findIndex((f, i) => i >= read && f.event === name);
          await waitUntil(() => at() !== -1, ms, `event ${name}`);
          const start = read;
          read = at() + 1;
          return frames.slice(start, read).filter((f) => f.comment === undefined);
        },
        ended(ms = 5_000) {
          return waitUntil(() => isEnded, ms, "the end").then(
            () => true,
            () => false,
          );
        },
        close() {
          req.destroy();
        },
        [Symbol.asyncDispose]() {
          req.destroy();
          return Promise.resolve();
        },
      };
      if (!refused) return resolve(reader);
      res.once("end", () => {
        reader.body = pending;
        resolve(reader);
      });
    });
    req.end();
  });
}

function parseFrame(block: string): SseFrame {
  const frame: SseFrame = {};
  for (const line of block.split("\n")) {
    if (line.startsWith(":")) {
      frame.comment = line.slice(1).trim();
      continue;
    }
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event" || field === "id" || field === "data" || field === "retry") {
      frame[field] = frame[field] === undefined ? value : `${frame[field]}\n${value}`;
    }
  }
  return frame;
}
