import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { extractContext, injectContext, startTracing, stopTracing, tracer, tracingEnabled, tracingRequested } from './tracing';
import { trace } from '@opentelemetry/api';

describe('tracing', () => {
  afterEach(async () => {
    await stopTracing();
  });

  it.each([
    [{}, false],
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, true],
    [{ OTEL_TRACES_EXPORTER: 'otlp' as const }, true],
    [{ OTEL_TRACES_EXPORTER: 'none' as const, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }, false],
  ])('is requested by the standard variables: %j → %s', (settings, expected) => {
    expect(tracingRequested({ SERVICE: 'token', INSTANCE_ID: 'pod-1', ...settings })).toBe(expected);
  });

  it('is off (no provider, no span recorded) unless requested', () => {
    expect(startTracing({ SERVICE: 'token', INSTANCE_ID: 'pod-1' })).toBe(false);
    expect(tracingEnabled()).toBe(false);
    expect(tracer().startSpan('x').spanContext().traceFlags).toBe(0);
  });

  it('names the service authz-<service> or OTEL_SERVICE_NAME, and carries W3C context through headers', () => {
    const exporter = new InMemorySpanExporter();
    expect(startTracing({ SERVICE: 'token', INSTANCE_ID: 'pod-1' }, { exporter })).toBe(true);
    const span = tracer().startSpan('POST /token');
    const headers: Record<string, unknown> = {};
    injectContext(trace.setSpan(extractContext(undefined), span), headers);
    span.end();
    expect(headers).toEqual({ traceparent: `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01` });
    expect(trace.getSpanContext(extractContext({ traceparent: Buffer.from(headers.traceparent as string) }))).toMatchObject({ traceId: span.spanContext().traceId, spanId: span.spanContext().spanId, isRemote: true });
    expect(exporter.getFinishedSpans().map((finished) => [finished.name, finished.resource.attributes['service.name'], finished.resource.attributes['service.instance.id']])).toEqual([['POST /token', 'authz-token', 'pod-1']]);
  });

  it('takes OTEL_SERVICE_NAME when set', async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ SERVICE: 'token', INSTANCE_ID: 'pod-1', OTEL_SERVICE_NAME: 'issuer-eu' }, { exporter });
    tracer().startSpan('x').end();
    expect(exporter.getFinishedSpans()[0]!.resource.attributes['service.name']).toBe('issuer-eu');
  });
});
