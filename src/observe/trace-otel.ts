/**
 * Optional OpenTelemetry spans. `@opentelemetry/api` is never a dependency of ours: it is
 * imported once, at serve time, when installed, and used only when the application registered a
 * tracer provider (a span it starts records). Then the gateway wraps each forwarded request in a
 * span `forward <app>` parented on the caller's `traceparent`, and sends the span's context
 * upstream; a service wraps each endpoint call in a span `<endpoint>`. Otherwise each request
 * pays one check of a field.
 */
import type { IncomingMessage } from "node:http";
import type * as OtelApi from "@opentelemetry/api";
import { packageVersion } from "../version.js";
import { pathOf } from "./log-observer.js";
import type { ForwardObservation, ForwardObserver } from "./forward-observer.js";
import { parseTraceparent, setHop, tracestateOf } from "./trace-context.js";
import type { TraceParent } from "./trace-context.js";

type Api = typeof OtelApi;

/** A status and catalogue code, as an endpoint's error reply carries them. */
export interface FailedCall {
  status: number;
  code: string;
}

/** The span of one endpoint call. */
export interface EndpointSpan {
  /** Runs the handler with this span as the active one (its own spans become children). */
  run<T>(call: () => Promise<T>): Promise<T>;
  /** Ends the span with the reply's status, or the error the call failed with. */
  end(outcome: number | FailedCall): void;
}

/** What makes spans (with no OpenTelemetry types: they would tie our typings to the API). */
export interface SpanMaker {
  /** The span of a forwarded request; its ids become the request's trace hop. */
  forward(req: IncomingMessage, app: string): ForwardObservation;
  /** The span of one call of endpoint `name`, parented on the request's `traceparent`. */
  endpoint(name: string, req: IncomingMessage): EndpointSpan;
}

/** Spans of a service or gateway, when a tracer is registered. */
class OtelTracer implements SpanMaker {
  private readonly tracer: OtelApi.Tracer;

  constructor(private readonly api: Api) {
    this.tracer = api.trace.getTracer("portico", packageVersion());
  }

  forward(req: IncomingMessage, app: string): ForwardObservation {
    const { api } = this;
    const parent = parseTraceparent(req.headers.traceparent);
    const span = this.tracer.startSpan(
      `forward ${app}`,
      {
        // The gateway serves the caller's request (url.path, not url.full: server attributes).
        kind: api.SpanKind.SERVER,
        attributes: {
          "http.request.method": req.method ?? "GET",
          "url.path": pathOf(req.url),
          "portico.app": app,
        },
      },
      this.parentContext(parent, req),
    );
    const { traceId, spanId, traceFlags } = span.spanContext();
    const flags = (traceFlags & 0xff).toString(16).padStart(2, "0");
    const traceparent = `00-${traceId}-${spanId}-${flags}`;
    setHop(req, { traceId, spanId, traceparent, continued: parent !== undefined });
    return { end: (status, code) => this.finish(span, status, code) };
  }

  endpoint(name: string, req: IncomingMessage): EndpointSpan {
    const { api } = this;
    const parent = this.parentContext(parseTraceparent(req.headers.traceparent), req);
    const span = this.tracer.startSpan(
      name,
      {
        kind: api.SpanKind.SERVER,
        attributes: { "http.request.method": req.method ?? "POST", "url.path": pathOf(req.url) },
      },
      parent,
    );
    const active = api.trace.setSpan(parent, span);
    return {
      run: (call) => api.context.with(active, call),
      end: (outcome) => {
        if (typeof outcome === "number") this.finish(span, outcome, undefined);
        else this.finish(span, outcome.status, outcome.code);
      },
    };
  }

  private parentContext(parent: TraceParent | undefined, req: IncomingMessage): OtelApi.Context {
    const { api } = this;
    // A server's span starts from the caller's context alone, never from whatever context the
    // process happens to hold.
    if (!parent) return api.ROOT_CONTEXT;
    const state = tracestateOf(req.headers.tracestate);
    return api.trace.setSpanContext(api.ROOT_CONTEXT, {
      traceId: parent.traceId,
      spanId: parent.parentId,
      traceFlags: parseInt(parent.flags, 16),
      isRemote: true,
      ...(state !== undefined ? { traceState: api.createTraceState(state) } : {}),
    });
  }

  private finish(span: OtelApi.Span, status: number, code: string | undefined): void {
    span.setAttribute("http.response.status_code", status);
    // OpenTelemetry's HTTP conventions: a server span is an error on 5xx only.
    if (status >= 500) {
      span.setAttribute("error.type", code ?? String(status));
      span.setStatus({ code: this.api.SpanStatusCode.ERROR, ...(code ? { message: code } : {}) });
    }
    span.end();
  }
}

/** Whether a service or gateway makes spans; decided at serve time. */
export class Tracing {
  private active: SpanMaker | undefined;

  /** `enabled`: the `tracing` option (false: never any span, whatever is registered). */
  constructor(readonly enabled: boolean) {}

  /** The tracer when spans are made (checked per request: one field read). */
  get otel(): SpanMaker | undefined {
    return this.active;
  }

  /** Loads the API (once per process) and checks that a tracer provider is registered. */
  async load(): Promise<void> {
    if (!this.enabled) return;
    const api = await loadApi();
    this.active = api && tracerRegistered(api) ? new OtelTracer(api) : undefined;
  }

  /** The forwarding observer that makes gateway spans (undefined when tracing is off). */
  forwardObserver(): ForwardObserver | undefined {
    if (!this.enabled) return undefined;
    return {
      start: (req, app) => {
        const otel = this.active;
        return otel === undefined ? UNTRACED : otel.forward(req, app);
      },
    };
  }
}

const UNTRACED: ForwardObservation = { end: () => undefined };

const API = "@opentelemetry/api";
let api: Promise<Api | undefined> | undefined;

/** `@opentelemetry/api`, or undefined when it is not installed (imported once per process). */
function loadApi(): Promise<Api | undefined> {
  return (api ??= import(API).then(
    (module: Api) => module,
    (error: unknown) => {
      const { code, message } = (error ?? {}) as { code?: unknown; message?: unknown };
      const missing = code === "ERR_MODULE_NOT_FOUND" && String(message).includes(`'${API}'`);
      if (missing) return undefined;
      throw error; // installed but broken: say so rather than trace nothing silently
    },
  ));
}

/**
 * True when the application registered a tracer provider that records: a probe span started
 * under a sampled remote parent records then, and the API's no-op provider's never does. The
 * probe is never ended, so nothing exports it.
 */
function tracerRegistered(otel: Api): boolean {
  const parent = otel.trace.setSpanContext(otel.ROOT_CONTEXT, {
    traceId: "706f727469636f2070726f6265000001",
    spanId: "70726f6265000001",
    traceFlags: otel.TraceFlags.SAMPLED,
    isRemote: true,
  });
  return otel.trace.getTracer("portico").startSpan("portico.probe", {}, parent).isRecording();
}
