import { type Context, context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorCodeLabel, grantTypeLabel, type ServiceMetrics } from './metrics';
import { extractContext, tracer, tracingEnabled } from './tracing';

/** The per-request state the hooks keep on the request (decorated once: no shape change per request). */
type Observed = FastifyRequest & { observedStart: number; observedSpan: Span | null; observedContext: Context | null; observedError: string | null };

const TOKEN_ROUTE = '/token';
const GRANT_TYPE = /(?:^|&)grant_type=([^&]*)/;
const ERROR_CODE = /"error":"([a-z_]{1,64})"/;

/** The route template of a request (`/account/apps`, never the raw URL); `unmatched` for a 404 without a route. */
function routeOf(request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched';
}

/**
 * Metrics and traces of every HTTP request (README "Metrics", "Tracing"):
 * - onRequest: the start time; with tracing on, a SERVER span `<METHOD> <route template>` whose parent is
 *   the caller's `traceparent`.
 * - preHandler: the span becomes the active context of the handler (so the Kafka publisher and the
 *   identity client find it).
 * - onSend: for /token errors, the RFC 6749 error code of the answer.
 * - onResponse: one observe on the request histogram (and the /token one), the span ended.
 * `metrics()` is read per request: the service's registry exists once the Nest app is created.
 */
export function instrumentHttp(fastify: FastifyInstance, metrics: () => ServiceMetrics | undefined, draining: () => boolean): void {
  fastify.decorateRequest('observedStart', 0);
  fastify.decorateRequest('observedSpan', null);
  fastify.decorateRequest('observedContext', null);
  fastify.decorateRequest('observedError', null);

  fastify.addHook('onRequest', (request, _reply, done) => {
    const observed = request as Observed;
    observed.observedStart = performance.now();
    if (tracingEnabled()) {
      const parent = extractContext(request.headers);
      const route = routeOf(request);
      const span = tracer().startSpan(
        `${request.method} ${route}`,
        { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'http.route': route, 'url.scheme': request.protocol } },
        parent,
      );
      observed.observedSpan = span;
      observed.observedContext = trace.setSpan(parent, span);
    }
    done();
  });

  fastify.addHook('preHandler', (request, _reply, done) => {
    const active = (request as Observed).observedContext;
    if (active) context.with(active, done);
    else done();
  });

  fastify.addHook('onSend', (request, reply, payload, done) => {
    // While draining (graceful shutdown), every answer closes its connection: the client opens a new
    // one, which reaches another replica.
    if (draining()) reply.header('connection', 'close');
    if (reply.statusCode >= 400 && typeof payload === 'string' && routeOf(request) === TOKEN_ROUTE) {
      (request as Observed).observedError = ERROR_CODE.exec(payload)?.[1] ?? 'other';
    }
    done(null, payload);
  });

  fastify.addHook('onResponse', (request, reply, done) => {
    const observed = request as Observed;
    const seconds = (performance.now() - observed.observedStart) / 1000;
    const route = routeOf(request);
    const registry = metrics();
    if (registry) {
      registry.observeHttp(request.method, route, reply.statusCode, seconds);
      if (route === TOKEN_ROUTE && request.method === 'POST') {
        registry.observeToken(grantTypeLabel(grantTypeOf(request.body)), reply.statusCode < 400 ? 'none' : errorCodeLabel(observed.observedError ?? 'other'), seconds);
      }
    }
    endSpan(observed.observedSpan, reply);
    done();
  });
}

function grantTypeOf(body: unknown): string | undefined {
  if (typeof body !== 'string') return undefined;
  const raw = GRANT_TYPE.exec(body)?.[1];
  if (raw === undefined) return undefined;
  try {
    return decodeURIComponent(raw.replace(/\+/g, ' '));
  } catch {
    return 'other';
  }
}

function endSpan(span: Span | null, reply: FastifyReply): void {
  if (!span) return;
  span.setAttribute('http.response.status_code', reply.statusCode);
  if (reply.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
  span.end();
}
