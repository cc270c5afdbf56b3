/**
 * OpenTelemetry across HTTP and Kafka (README "Tracing"), on the real Kafka, PostgreSQL and Redis: the
 * token service and the projector in one process with an in-memory exporter. A /token request sent
 * with a caller's traceparent gets a SERVER span in that trace; the produced event's Kafka headers
 * carry a traceparent of the same trace (the PRODUCER span); the projector's CONSUMER span continues
 * it; a message without headers is still projected (a trace of its own).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { DynamicModule } from '@nestjs/common';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { Kafka, logLevel } from 'kafkajs';
import { InfrastructureModule } from '@authz/adapters';
import { Topics } from '@authz/contracts';
import { PlatformModule, type ServiceHandle, startService, startTracing, stopTracing } from '@authz/platform';
import { ProjectionsModule } from '@authz/projections';
import { TokenModule } from '@authz/token';
import { adminQuery, cleanupRun, createRunDatabase, e2eRun, eventually, kafkaBrokers, readTopic, serviceEnv } from './environment';

const DEMO_SERVICE = `Basic ${Buffer.from('demo-service:hXLTXDHb4b3fKjeB8OsWXm2XynVB-aPOV97xv29iCfU').toString('base64')}`;
const e2e = e2eRun('tracing');
const exporter = new InMemorySpanExporter();
let service: ServiceHandle;

beforeAll(async () => {
  await createRunDatabase(e2e);
  startTracing({ SERVICE: 'token', INSTANCE_ID: 'tracing-test' }, { exporter });
  const env = { ...process.env, ...serviceEnv(e2e, { ISSUER: 'https://issuer.tracing.test', LOG_LEVEL: 'silent', HOST: '127.0.0.1', PORT: '0' }) };
  service = await startService(
    'token',
    (settings, logger): DynamicModule => ({
      module: class TracedTokenAndProjector {},
      imports: [
        PlatformModule.forRoot(settings, logger),
        InfrastructureModule.forRoot(settings, { events: true, sql: true, signingKeys: true, ttl: true, clients: true, codes: true, refreshFamilies: true, credentials: true }),
        TokenModule.register(),
        ProjectionsModule,
      ],
    }),
    { env },
  );
}, 120_000);

afterAll(async () => {
  await service?.app.close();
  await stopTracing();
  await cleanupRun(e2e);
}, 60_000);

const spans = (): ReadableSpan[] => exporter.getFinishedSpans();
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('traces across HTTP and Kafka', () => {
  it('a /token request: SERVER span in the caller trace, traceparent in the event headers, CONSUMER span of the projector in the same trace', async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    const requestId = `trace-${randomUUID()}`;
    const response = await fetch(`${service.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: DEMO_SERVICE, traceparent: `00-${traceId}-${callerSpanId}-01`, 'x-request-id': requestId },
      body: 'grant_type=client_credentials&scope=api%3Aread',
    });
    expect(response.status).toBe(200);
    const { access_token: accessToken } = (await response.json()) as { access_token: string };
    const jti = JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()).jti as string;

    const server = spans().filter((span) => span.kind === SpanKind.SERVER && span.spanContext().traceId === traceId);
    expect(server.map((span) => [span.name, parentOf(span), span.attributes['http.route'], span.attributes['http.response.status_code']])).toEqual([['POST /token', callerSpanId, '/token', 200]]);

    const producers = spans().filter((span) => span.kind === SpanKind.PRODUCER && span.spanContext().traceId === traceId);
    expect(producers.map((span) => [span.name, parentOf(span), span.attributes['cloudevents.event_type']])).toEqual([
      [`${e2e.prefix}${Topics.tokens} publish`, server[0]!.spanContext().spanId, 'oauth.access_token.issued.v1'],
    ]);
    const producer = producers[0]!;

    const messages = await readTopic(`${e2e.prefix}${Topics.tokens}`, { clientId: 'tracing-reader' });
    const issued = messages.filter((message) => message.headers.correlation_id === requestId);
    expect(issued.map((message) => [message.headers.ce_type, message.headers.traceparent])).toEqual([
      ['oauth.access_token.issued.v1', `00-${traceId}-${producer.spanContext().spanId}-01`],
    ]);
    // The envelope is unchanged: the trace context travels in the headers only.
    expect(Object.keys(JSON.parse(issued[0]!.value) as object).sort()).toEqual(['correlationid', 'data', 'datacontenttype', 'id', 'source', 'specversion', 'subject', 'time', 'type']);

    await eventually(async () => {
      const consumers = spans().filter((span) => span.kind === SpanKind.CONSUMER && span.spanContext().traceId === traceId);
      // Every projection that reads oauth.tokens consumes it: the access tokens and the audit index.
      expect(consumers.map((span) => [span.name, parentOf(span), span.attributes['messaging.consumer.group.name']]).sort((a, b) => String(a[2]).localeCompare(String(b[2])))).toEqual([
        [`${e2e.prefix}${Topics.tokens} process`, producer.spanContext().spanId, `${e2e.prefix}projector.access_tokens`],
        [`${e2e.prefix}${Topics.tokens} process`, producer.spanContext().spanId, `${e2e.prefix}projector.audit_events`],
      ]);
    });
    await eventually(async () => expect(await adminQuery('SELECT jti FROM access_tokens WHERE jti = $1', [jti], e2e.databaseUrl)).toEqual([{ jti }]));
  });

  it('a message without headers is still validated and projected, in a trace of its own', async () => {
    const [message] = (await readTopic(`${e2e.prefix}${Topics.tokens}`, { clientId: 'tracing-copy' })).filter((item) => item.headers.ce_type === 'oauth.access_token.issued.v1');
    const envelope = JSON.parse(message!.value) as { id: string; data: { jti: string } };
    const jti = randomUUID();
    envelope.id = randomUUID();
    envelope.data.jti = jti;
    const kafka = new Kafka({ brokers: kafkaBrokers(), clientId: 'tracing-raw', logLevel: logLevel.NOTHING });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: `${e2e.prefix}${Topics.tokens}`, acks: -1, messages: [{ key: message!.key ?? null, value: JSON.stringify(envelope) }] });
    await producer.disconnect();

    await eventually(async () => expect(await adminQuery('SELECT jti FROM access_tokens WHERE jti = $1', [jti], e2e.databaseUrl)).toEqual([{ jti }]));
    const own = spans().filter((span) => span.kind === SpanKind.CONSUMER && span.attributes['messaging.consumer.group.name'] === `${e2e.prefix}projector.access_tokens` && parentOf(span) === undefined);
    expect(own.length).toBeGreaterThanOrEqual(1);
  });
});
