import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { startTracing, stopTracing, tracer } from '@authz/platform';
import { HttpCredentialVerifier } from './http-credential-verifier';

/** The identity call as a CLIENT span, its W3C traceparent on the request (README "Tracing"). */
describe('HttpCredentialVerifier with tracing', () => {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    seen.push(request.headers);
    request.resume();
    request.on('end', () => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ outcome: 'invalid_credentials' })));
  });
  let url = '';

  beforeAll(async () => {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await stopTracing();
    server.closeAllConnections();
    server.close();
  });

  const check = { username: 'alice', password: 'wrong', clientId: 'web-app' };

  it('off: no span and no traceparent', async () => {
    await new HttpCredentialVerifier({ baseUrl: url, timeoutMs: 2000 }).verify(check);
    expect(seen.at(-1)?.traceparent).toBeUndefined();
  });

  it('on: a CLIENT span, child of the active span, whose context is the traceparent sent', async () => {
    const exporter = new InMemorySpanExporter();
    startTracing({ SERVICE: 'token', INSTANCE_ID: 'spec' }, { exporter });
    const verifier = new HttpCredentialVerifier({ baseUrl: url, timeoutMs: 2000 });

    await tracer().startActiveSpan('POST /token', async (server) => {
      await verifier.verify(check);
      server.end();
    });

    const [client, parent] = exporter.getFinishedSpans();
    expect([client!.name, client!.kind, client!.parentSpanContext?.spanId]).toEqual(['POST /internal/v1/authenticate', SpanKind.CLIENT, parent!.spanContext().spanId]);
    expect(seen.at(-1)?.traceparent).toBe(`00-${client!.spanContext().traceId}-${client!.spanContext().spanId}-01`);
  });
});
