/**
 * OpenTelemetry spans when the application registered a tracer provider before serving: the
 * gateway's `forward <app>` span is a child of the caller's span, the service's `<endpoint>`
 * span a child of the gateway's, all in one trace. This file registers a global provider: it
 * runs in its own worker, and `trace.disable()` takes the provider away after it.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, context, trace } from "@opentelemetry/api";
import type { Context, ContextManager } from "@opentelemetry/api";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import type { ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { Gateway } from "../../src/gateway/gateway.js";
import { EchoService } from "../../src/samples/echo-service.js";
import { Service } from "../../src/service/service.js";
import { serveOn, waitFor } from "../helpers/fixtures.js";
import type { Running } from "../helpers/fixtures.js";
import { startPlainApp } from "../helpers/plain-app.js";
import type { PlainApp } from "../helpers/plain-app.js";
import { rawRequest } from "../helpers/raw-http.js";

const TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736";
const CLIENT_SPAN = "00f067aa0ba902b7";
const TRACEPARENT = `00-${TRACE_ID}-${CLIENT_SPAN}-01`;

/** A service whose endpoint fails. */
class FailingService extends Service {
  constructor() {
    super();
    this.addEndpoint("fail", () => {
      throw new Error("it broke");
    });
  }
}

/** A service whose endpoint makes a span of its own (a child of the endpoint's span). */
class NestingService extends Service {
  constructor() {
    super();
    this.addEndpoint("nest", async () => {
      await new Promise((resolve) => setImmediate(resolve));
      trace.getTracer("test").startSpan("inner").end();
      return { ok: true };
    });
  }
}

/** The context manager an SDK would register (AsyncLocalStorage), in a few lines. */
class StorageContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  active(): Context {
    return this.storage.getStore() ?? ROOT_CONTEXT;
  }
  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    return this.storage.run(ctx, () => fn.apply(thisArg, args));
  }
  bind<T>(_ctx: Context, target: T): T {
    return target;
  }
  enable(): this {
    return this;
  }
  disable(): this {
    this.storage.disable();
    return this;
  }
}

const exporter = new InMemorySpanExporter();

describe("OpenTelemetry spans", () => {
  let gateway: Running<Gateway>;
  let echo: Running<EchoService>;
  let failing: Running<FailingService>;
  let nesting: Running<NestingService>;
  let plain: PlainApp;

  beforeAll(async () => {
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    trace.setGlobalTracerProvider(provider);
    context.setGlobalContextManager(new StorageContextManager());
    gateway = await serveOn(new Gateway());
    echo = await serveOn(new EchoService());
    failing = await serveOn(new FailingService());
    nesting = await serveOn(new NestingService());
    plain = await startPlainApp();
    await gateway.service.registerApp("echoer", echo.url);
    await gateway.service.registerApp("failing", failing.url);
    await gateway.service.registerApp("plain", plain.url);
  });
  afterAll(async () => {
    await gateway?.close();
    await echo?.close();
    await failing?.close();
    await nesting?.close();
    await plain?.close();
    trace.disable();
    context.disable();
  });
  beforeEach(() => exporter.reset());

  /** The finished spans once `count` are in (the service's may end a moment after the reply). */
  async function spans(count: number): Promise<ReadableSpan[]> {
    await waitFor(() => exporter.getFinishedSpans().length >= count, 5_000);
    return exporter.getFinishedSpans();
  }

  it("links caller -> gateway span -> service span in one trace", async () => {
    const reply = await rawRequest(`${gateway.url}/echoer/echo`, {
      method: "POST",
      headers: { "content-type": "application/json", traceparent: TRACEPARENT },
      body: JSON.stringify({ message: "hi" }),
    });
    expect(reply.status).toBe(200);
    const all = await spans(2);
    const forward = all.find((s) => s.name === "forward echoer")!;
    const endpoint = all.find((s) => s.name === "echo")!;
    expect(forward).toBeDefined();
    expect(endpoint).toBeDefined();
    expect(forward.spanContext().traceId).toBe(TRACE_ID);
    expect(endpoint.spanContext().traceId).toBe(TRACE_ID);
    expect(forward.parentSpanContext?.spanId).toBe(CLIENT_SPAN);
    expect(endpoint.parentSpanContext?.spanId).toBe(forward.spanContext().spanId);
    expect(forward.kind).toBe(SpanKind.SERVER);
    expect(forward.attributes).toMatchObject({
      "http.request.method": "POST",
      "url.path": "/echoer/echo",
      "http.response.status_code": 200,
      "portico.app": "echoer",
    });
    expect(endpoint.attributes).toMatchObject({
      "http.request.method": "POST",
      "url.path": "/echo",
      "http.response.status_code": 200,
    });
    expect(forward.status.code).toBe(SpanStatusCode.UNSET);
    // The probe that checked for a provider at serve time is never exported.
    expect(all.some((s) => s.name === "portico.probe")).toBe(false);
  });

  it("runs the handler inside its span: the handler's own spans are its children", async () => {
    const reply = await rawRequest(`${nesting.url}/nest`, {
      method: "POST",
      headers: { traceparent: TRACEPARENT },
    });
    expect(reply.status).toBe(200);
    const all = await spans(2);
    const endpoint = all.find((s) => s.name === "nest")!;
    const inner = all.find((s) => s.name === "inner")!;
    expect(endpoint.parentSpanContext?.spanId).toBe(CLIENT_SPAN);
    expect(inner.parentSpanContext?.spanId).toBe(endpoint.spanContext().spanId);
    expect(inner.spanContext().traceId).toBe(TRACE_ID);
  });

  it("sends the gateway span's context upstream as the traceparent", async () => {
    await rawRequest(`${gateway.url}/plain/x`, { headers: { traceparent: TRACEPARENT } });
    const [forward] = await spans(1);
    const { spanId } = forward!.spanContext();
    expect(plain.received.at(-1)!.headers.traceparent).toBe(`00-${TRACE_ID}-${spanId}-01`);
  });

  it("starts a root span when the caller sends no traceparent", async () => {
    await rawRequest(`${gateway.url}/plain/x`);
    const [forward] = await spans(1);
    expect(forward!.parentSpanContext).toBeUndefined();
    const sent = String(plain.received.at(-1)!.headers.traceparent);
    expect(sent).toBe(`00-${forward!.spanContext().traceId}-${forward!.spanContext().spanId}-01`);
  });

  it("marks 5xx replies as errors, on the gateway's span and the service's", async () => {
    const reply = await rawRequest(`${gateway.url}/failing/fail`, {
      method: "POST",
      headers: { traceparent: TRACEPARENT },
    });
    expect(reply.status).toBe(500);
    const all = await spans(2);
    const forward = all.find((s) => s.name === "forward failing")!;
    const endpoint = all.find((s) => s.name === "fail")!;
    expect(forward.status.code).toBe(SpanStatusCode.ERROR);
    expect(forward.attributes["http.response.status_code"]).toBe(500);
    expect(endpoint.status).toMatchObject({
      code: SpanStatusCode.ERROR,
      message: "INTERNAL_ERROR",
    });
    expect(endpoint.attributes["error.type"]).toBe("INTERNAL_ERROR");
  });

  it("marks the gateway's own error reply with its code", async () => {
    await using down = await startPlainApp();
    await gateway.service.registerApp("down", down.url);
    await down.close();
    const reply = await rawRequest(`${gateway.url}/down/x`);
    expect(reply.status).toBe(502);
    const [forward] = await spans(1);
    expect(forward!.status).toMatchObject({
      code: SpanStatusCode.ERROR,
      message: "UPSTREAM_UNREACHABLE",
    });
  });

  it("makes no span with tracing: false, and still propagates the trace", async () => {
    await using quiet = await serveOn(new Gateway({ tracing: false }));
    await quiet.service.registerApp("plain", plain.url);
    await rawRequest(`${quiet.url}/plain/x`, { headers: { traceparent: TRACEPARENT } });
    const sent = String(plain.received.at(-1)!.headers.traceparent);
    expect(sent.slice(0, 36)).toBe(`00-${TRACE_ID}-`);
    expect(sent.slice(36, 52)).not.toBe(CLIENT_SPAN);
    expect(exporter.getFinishedSpans()).toEqual([]);
  });
});
