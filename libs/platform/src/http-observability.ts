import { type Context, context, type Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorCodeLabel, grantTypeLabel, type ServiceMetrics } from './metrics';
import { extractContext, tracer, tracingEnabled } from './tracing';

/** The per-request state the hooks keep on the request (decorated once: no shape change per request). */
type Observed = FastifyRequest & {
  observedRoute: string | null;
  observedSpan: Span | null;
  observedContext: Context | null;
  observedError: string | null;
};

type Hook = (request: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => void;
type SendHook = (request: FastifyRequest, reply: FastifyReply, payload: unknown, done: (error: Error | null, payload?: unknown) => void) => void;

const TOKEN_ROUTE = '/token';
const GRANT_TYPE = /(?:^|&)grant_type=([^&]*)/;
const ERROR_CODE = /"error":"([a-z_]{1,64})"/;

/**
 * Metrics and traces of every HTTP request (README "Metrics", "Tracing"):
 * - every request, when it ends (onResponse): one observe on the request histogram (and the /token
 *   one) of Fastify's own `reply.elapsedTime`, labelled with the route template, `unmatched` without a route;
 * - each route gets its own hooks when it is registered (onRoute), so its template is a constant of
 *   the closure: no per-request lookup (Fastify's `request.routeOptions` builds an object per call).
 *   With tracing on: a SERVER span `<METHOD> <route template>` whose parent is the caller's
 *   `traceparent` (onRequest), made the active context of the handler (preHandler) so that the Kafka
 *   publisher and the identity client find it. /token: the RFC 6749 error code of an error answer (onSend).
 * `metrics()` is read per request: the service's registry exists once the Nest app is created.
 */
export function instrumentHttp(fastify: FastifyInstance, metrics: () => ServiceMetrics | undefined): void {
  fastify.decorateRequest('observedRoute', null);
  fastify.decorateRequest('observedSpan', null);
  fastify.decorateRequest('observedContext', null);
  fastify.decorateRequest('observedError', null);

  fastify.addHook('onRoute', (route) => {
    const template = route.url;
    const traced = tracingEnabled();
    const onRequest: Hook = (request, _reply, done) => {
      const observed = request as Observed;
      observed.observedRoute = template;
      if (traced) startServerSpan(observed, template);
      done();
    };
    route.onRequest = [...hooks(route.onRequest), onRequest] as typeof route.onRequest;
    if (traced) {
      const preHandler: Hook = (request, _reply, done) => {
        const active = (request as Observed).observedContext;
        if (active) context.with(active, done);
        else done();
      };
      route.preHandler = [...hooks(route.preHandler), preHandler] as typeof route.preHandler;
    }
    if (template === TOKEN_ROUTE) {
      const onSend: SendHook = (request, reply, payload, done) => {
        if (reply.statusCode >= 400 && typeof payload === 'string') (request as Observed).observedError = ERROR_CODE.exec(payload)?.[1] ?? 'other';
        done(null, payload);
      };
      route.onSend = [...hooks(route.onSend), onSend] as typeof route.onSend;
    }
  });

  fastify.addHook('onResponse', (request, reply, done) => {
    const observed = request as Observed;
    // Fastify notes every request's start before its first hook (reply.elapsedTime, ms).
    const seconds = reply.elapsedTime / 1000;
    const route = observed.observedRoute ?? 'unmatched';
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

function hooks<T>(value: T | T[] | undefined): T[] {
  return value === undefined ? [] : Array.isArray(value) ? value : [value];
}

function startServerSpan(request: Observed, route: string): void {
  const parent = extractContext(request.headers);
  const span = tracer().startSpan(
    `${request.method} ${route}`,
    { kind: SpanKind.SERVER, attributes: { 'http.request.method': request.method, 'http.route': route } },
    parent,
  );
  request.observedSpan = span;
  request.observedContext = trace.setSpan(parent, span);
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
