/**
 * The client end of a gateway's `/events`: a server-sent events parser, and a loop that keeps one
 * stream open through the client's own transport (its pool and token), reconnecting with backoff
 * and resuming after the last revision it handled.
 */
import type { Dispatcher } from "undici";
import { sleep } from "../../net/timers.js";
import type { HttpTransport } from "../../client/transport.js";

/** One server-sent event. */
export interface ServerEvent {
  /** The `event:` field (`message` when the server sent none). */
  event: string;
  /** The `data:` lines, joined with newlines. */
  data: string;
  /** The `id:` field of this event, if it had one. */
  id: string | undefined;
}

/** A line longer than this ends the stream: a gateway never sends one (schemas are megabytes). */
const MAX_LINE_CHARS = 64 * 1024 * 1024;

/**
 * Splits a `text/event-stream` into events, by the WHATWG rules: CRLF, LF or CR line endings
 * (also split across chunks), `:` comments, several `data:` lines, an optional space after `:`.
 * Unlike EventSource, `id` belongs to its event only: the revision travels in the data anyway.
 */
export class SseParser {
  private readonly decoder = new TextDecoder();
  private pending: string[] = [];
  private pendingChars = 0;
  private afterCr = false;
  private event = "";
  private data: string[] = [];
  private id: string | undefined;

  /** Feeds bytes; returns the events they completed. */
  push(chunk: Uint8Array): ServerEvent[] {
    let text = this.decoder.decode(chunk, { stream: true });
    // A CR that ended the last chunk was a line end; an LF starting this one completes a CRLF.
    if (this.afterCr && text.startsWith("\n")) text = text.slice(1);
    this.afterCr = text.endsWith("\r");
    const events: ServerEvent[] = [];
    const eol = /\r\n|\r|\n/g;
    let start = 0;
    for (let match = eol.exec(text); match; match = eol.exec(text)) {
      this.pending.push(text.slice(start, match.index));
      this.line(this.pending.join(""), events);
      this.pending = [];
      this.pendingChars = 0;
      start = match.index + match[0].length;
    }
    if (start < text.length) {
      this.pending.push(text.slice(start));
      this.pendingChars += text.length - start;
      if (this.pendingChars > MAX_LINE_CHARS) throw new Error("Server-sent event line too long");
    }
    return events;
  }

  private line(line: string, events: ServerEvent[]): void {
    if (line === "") {
      if (this.data.length > 0) {
        events.push({ event: this.event || "message", data: this.data.join("\n"), id: this.id });
      }
      this.event = "";
      this.data = [];
      this.id = undefined;
      return;
    }
    if (line.startsWith(":")) return; // a comment: the server's keep-alive ping
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    if (field === "event") this.event = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id" && !value.includes("\0")) this.id = value;
    // `retry:` is ignored: this client keeps its own backoff with jitter.
  }
}

/** What an EventStream reports to its owner. */
export interface EventStreamOptions {
  transport: HttpTransport;
  /** The path of the stream, e.g. `/events`. */
  path: string;
  /** The revision to resume after (`?since=`), or undefined for live changes only. */
  since(): number | undefined;
  /** Handles one event; the stream reads on once it settles, and a throw drops the stream. */
  onEvent(event: ServerEvent): void | Promise<void>;
  /** An attempt ended (the stream reconnects unless closed). */
  onDrop(): void;
  /** The gateway refused the stream for good (404: no `/events`; 401, 403): no more attempts. */
  onRefused(status: number): void;
  /** Milliseconds without a byte before the stream counts as dead (60 s: pings come every 15 s). */
  idleTimeout?: number;
}

const RETRY_FIRST_MS = 100;
const RETRY_MAX_MS = 5_000;
/** Statuses that will not change by retrying; any other failure is retried with backoff. */
const RETRYABLE_4XX = new Set([408, 425, 429]);

type Attempt = "refused" | "failed" | "progressed";

/** Keeps one server-sent events stream open until closed. */
export class EventStream {
  private readonly stop = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(private readonly options: EventStreamOptions) {}

  /** Starts the loop (once). */
  start(): void {
    this.loop ??= this.run();
  }

  /** Ends the stream and any pending reconnect; resolves once no socket or timer is left. */
  async close(): Promise<void> {
    this.stop.abort();
    await this.loop;
  }

  private async run(): Promise<void> {
    let delay = RETRY_FIRST_MS;
    while (!this.stop.signal.aborted) {
      const attempt = await this.attempt();
      if (this.stop.signal.aborted) return;
      this.options.onDrop();
      if (attempt === "refused") return;
      if (attempt === "progressed") delay = RETRY_FIRST_MS;
      // Jitter spreads the reconnects of many clients after a gateway restart.
      await sleep(delay / 2 + (Math.random() * delay) / 2, this.stop.signal);
      delay = Math.min(delay * 2, RETRY_MAX_MS);
    }
  }

  private async attempt(): Promise<Attempt> {
    const since = this.options.since();
    const path = since === undefined ? this.options.path : `${this.options.path}?since=${since}`;
    let reply: Dispatcher.ResponseData;
    try {
      reply = await this.options.transport.openStream(path, {
        signal: this.stop.signal,
        headers: { accept: "text/event-stream" },
        bodyTimeout: this.options.idleTimeout ?? 60_000,
      });
    } catch {
      return "failed";
    }
    const { statusCode, body } = reply;
    if (statusCode !== 200 || !isEventStream(reply.headers["content-type"])) {
      await body.dump().catch(() => undefined);
      if (statusCode >= 400 && statusCode < 500 && !RETRYABLE_4XX.has(statusCode)) {
        this.options.onRefused(statusCode);
        return "refused";
      }
      return "failed";
    }
    const parser = new SseParser();
    let progressed = false;
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        for (const event of parser.push(chunk)) {
          progressed = true;
          await this.options.onEvent(event);
        }
      }
    } catch {
      // Dropped, timed out, aborted by close(), or a handler failed: reconnect (or stop).
    } finally {
      body.destroy();
    }
    return progressed ? "progressed" : "failed";
  }
}

function isEventStream(type: string | string[] | undefined): boolean {
  return typeof type === "string" && type.toLowerCase().startsWith("text/event-stream");
}
