import { context, propagation, ROOT_CONTEXT, type Context, type TextMapGetter, type TextMapSetter, trace, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, SimpleSpanProcessor, type SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';

/**
 * OpenTelemetry traces (README "Tracing"): off unless OTEL_EXPORTER_OTLP_ENDPOINT is set or
 * OTEL_TRACES_EXPORTER=otlp (and never with OTEL_TRACES_EXPORTER=none). Off, every instrumented place
 * checks `tracingEnabled()` (a boolean) and does nothing else: no span, no context, no header.
 *
 * On: one tracer provider per process (OpenTelemetry's API is process-global: the all-in-one suite and
 * tests that start several apps share it), W3C trace context, AsyncLocalStorage context, OTLP/HTTP
 * export in batches; `service.name` is OTEL_SERVICE_NAME or `authz-<service>`.
 */
let provider: TracerProvider | undefined;
let enabled = false;

export const TRACER_NAME = 'authz-suite';

export function tracingEnabled(): boolean {
  return enabled;
}

export function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

export type TracingSettings = {
  SERVICE: string;
  INSTANCE_ID: string;
  OTEL_EXPORTER_OTLP_ENDPOINT?: string | undefined;
  OTEL_TRACES_EXPORTER?: 'otlp' | 'none' | undefined;
  OTEL_SERVICE_NAME?: string | undefined;
};

export function tracingRequested(settings: TracingSettings): boolean {
  if (settings.OTEL_TRACES_EXPORTER === 'none') return false;
  return settings.OTEL_TRACES_EXPORTER === 'otlp' || settings.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined;
}

/**
 * Starts tracing when the settings ask for it (or when `exporter` is given: tests pass an in-memory
 * one, exported span by span). Once per process: a second call keeps the first provider.
 */
export function startTracing(settings: TracingSettings, options: { exporter?: SpanExporter } = {}): boolean {
  if (provider) return true;
  if (!options.exporter && !tracingRequested(settings)) return false;
  const spanProcessor = options.exporter
    ? new SimpleSpanProcessor({ exporter: options.exporter })
    : // The exporter reads the standard variables itself (OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT, _HEADERS, _TIMEOUT).
      new BatchSpanProcessor({ exporter: new OTLPTraceExporter() });
  provider = new TracerProvider({
    resource: resourceFromAttributes({ 'service.name': settings.OTEL_SERVICE_NAME ?? `authz-${settings.SERVICE}`, 'service.instance.id': settings.INSTANCE_ID }),
    spanProcessors: [spanProcessor],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  enabled = true;
  return true;
}

/** Sends the spans still buffered and stops tracing (graceful shutdown, tests). */
export async function stopTracing(): Promise<void> {
  const current = provider;
  if (!current) return;
  await current.forceFlush().catch(() => undefined);
  await current.shutdown().catch(() => undefined);
  provider = undefined;
  enabled = false;
  trace.disable();
  propagation.disable();
  context.disable();
}

/** Headers as Node and kafkajs give them: strings, string arrays or Buffers. */
type CarrierValue = string | string[] | Buffer | Array<string | Buffer> | undefined;

const headerGetter: TextMapGetter<Record<string, CarrierValue>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const value = carrier[key];
    if (value === undefined) return undefined;
    if (Array.isArray(value)) return value.map((item) => item.toString());
    return value.toString();
  },
};

const headerSetter: TextMapSetter<Record<string, unknown>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/** The trace context carried by these headers (HTTP request headers, Kafka message headers); the root context when none. */
export function extractContext(headers: Record<string, CarrierValue> | undefined): Context {
  return headers ? propagation.extract(ROOT_CONTEXT, headers, headerGetter) : ROOT_CONTEXT;
}

/** Writes `traceparent` (and `tracestate`) of `ctx` into `headers`. */
export function injectContext(ctx: Context, headers: Record<string, unknown>): void {
  propagation.inject(ctx, headers, headerSetter);
}
