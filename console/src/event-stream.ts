/**
 * The gateway's `/events`, read with fetch so the token travels as a header. After a drop it
 * reconnects with `Last-Event-ID` and the gateway replays what was missed (or says `resync`).
 */
import { authHeaders, isRefusal } from "./api";
import { SseParser } from "./sse";
import type { GatewayEvent } from "./types";

/** Where the stream is. */
export type StreamState = "connecting" | "live" | "reconnecting" | "refused" | "stopped";

/** Options of a stream. */
export interface EventStreamOptions {
  /** Revision the page already shows: changes after it are replayed. */
  since?: number;
  onEvent(event: GatewayEvent, id: string | undefined): void;
  onState(state: StreamState, detail?: string): void;
}

/** A running stream; `stop()` ends it for good. */
export interface EventStream {
  stop(): void;
  /** Reconnects at once (the token changed). */
  restart(): void;
}

const REFUSED_RETRY_MS = 10_000;

/** Opens `/events` and keeps it open until stopped. */
export function openEventStream(options: EventStreamOptions): EventStream {
  let lastId = options.since === undefined ? undefined : String(options.since);
  let retryMs = 1_000;
  let stopped = false;
  let current: AbortController | undefined;
  let wake: (() => void) | undefined;
  let everLive = false;
  /** Set by restart(): reconnect without waiting for the retry delay. */
  let now = false;

  const pause = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const once = async (): Promise<void> => {
    current = new AbortController();
    const headers: Record<string, string> = { ...authHeaders(), accept: "text/event-stream" };
    if (lastId !== undefined) headers["last-event-id"] = lastId;
    const response = await fetch("/events", {
      headers,
      cache: "no-store",
      signal: current.signal,
    });
    if (isRefusal(response.status)) {
      const body = (await response.json().catch(() => undefined)) as
        { error?: { code?: string } } | undefined;
      options.onState("refused", body?.error?.code ?? `HTTP ${response.status}`);
      await pause(REFUSED_RETRY_MS);
      return;
    }
    if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new SseParser();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      for (const frame of parser.push(value)) {
        if (frame.retry !== undefined) retryMs = Math.min(Math.max(frame.retry, 250), 30_000);
        if (frame.id !== undefined) lastId = frame.id;
        if (frame.data === "") continue;
        if (frame.event === "ready") {
          everLive = true;
          options.onState("live");
        }
        const event = { type: frame.event, ...(JSON.parse(frame.data) as object) } as GatewayEvent;
        options.onEvent(event, frame.id);
      }
    }
  };

  void (async () => {
    while (!stopped) {
      options.onState(everLive ? "reconnecting" : "connecting");
      try {
        await once();
      } catch {
        // dropped or refused by the network: try again after the retry hint
      }
      if (stopped) break;
      options.onState(everLive ? "reconnecting" : "connecting");
      if (!now) await pause(retryMs);
      now = false;
    }
    options.onState("stopped");
  })();

  return {
    stop() {
      stopped = true;
      current?.abort();
      wake?.();
    },
    restart() {
      now = true;
      current?.abort();
      wake?.();
    },
  };
}
