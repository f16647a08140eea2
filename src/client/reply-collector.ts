/**
 * Collects one reply from undici's dispatch callbacks into a Promise. Cheaper per call than
 * `pool.request()`, which builds a Readable body stream, and than an AbortController per call:
 * the deadline and the caller's signal abort through the dispatch controller directly.
 */
import type { IncomingHttpHeaders } from "node:http";
import type { Dispatcher } from "undici";

/** A raw reply: status, headers and the whole body. */
export interface RawReply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A dispatch handler that resolves with the whole reply or rejects with the transport error. */
export class ReplyCollector implements Dispatcher.DispatchHandler {
  readonly done: Promise<RawReply>;
  private resolve!: (reply: RawReply) => void;
  private reject!: (error: unknown) => void;
  private controller: Dispatcher.DispatchController | undefined;
  private abortedWith: Error | undefined;
  private status = 0;
  private headers: IncomingHttpHeaders = {};
  private readonly chunks: Buffer[] = [];

  constructor() {
    this.done = new Promise<RawReply>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** Cancels the call: it rejects with `reason` at once, and the request is aborted. */
  abort(reason: Error): void {
    if (this.abortedWith) return;
    this.abortedWith = reason;
    this.controller?.abort(reason);
    this.reject(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortedWith) controller.abort(this.abortedWith);
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: IncomingHttpHeaders,
  ): void {
    if (statusCode < 200) return; // 1xx informational
    this.status = statusCode;
    this.headers = headers;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    const body = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.resolve({ status: this.status, headers: this.headers, body });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.reject(this.abortedWith ?? error);
  }
}
