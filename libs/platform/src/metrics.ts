import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { withTimeout } from './health';

/** Seconds buckets of request-like latencies (1 ms … 10 s). */
export const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Seconds buckets of fast dependency calls (Redis, LDAP binds: 0.25 ms … 5 s). */
export const FAST_BUCKETS = [0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];
/** Events per Kafka batch. */
export const BATCH_SIZE_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 5000];

/** Grant types a /token request is counted under; anything else is `other`, a missing one `none` (bounded cardinality). */
const GRANT_TYPES = new Set([
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'password',
  'urn:ietf:params:oauth:grant-type:device_code',
  'urn:ietf:params:oauth:grant-type:jwt-bearer',
  'urn:ietf:params:oauth:grant-type:token-exchange',
]);
/** RFC 6749 §5.2 (and 6750, 7009, 8707, 9700) error codes a /token error is counted under; anything else is `other`. */
const ERROR_CODES = new Set([
  'invalid_request',
  'invalid_client',
  'invalid_grant',
  'unauthorized_client',
  'unsupported_grant_type',
  'invalid_scope',
  'invalid_target',
  'temporarily_unavailable',
  'server_error',
  'access_denied',
  'unsupported_token_type',
  'invalid_token',
]);

export function grantTypeLabel(value: string | undefined): string {
  if (value === undefined || value === '') return 'none';
  return GRANT_TYPES.has(value) ? value : 'other';
}

export function errorCodeLabel(value: string | undefined): string {
  if (value === undefined) return 'none';
  return ERROR_CODES.has(value) ? value : 'other';
}

type HistogramChild = { observe(value: number): void };

/**
 * This process's Prometheus registry and the series every service has (README "Metrics"). One per
 * process (the all-in-one suite composes every module around one), never prom-client's global
 * registry: several apps started in one jest process each have their own. Components register
 * their series through `histogram`/`counter`/`gauge`, which return the existing metric when the
 * name is taken (two modules of the suite asking for the same series share it).
 *
 * Every series carries `service` (a default label). The per-request path costs a map lookup and one
 * histogram observe: label children are made once per (method, route, status) and kept.
 */
export class ServiceMetrics {
  readonly registry = new Registry();
  private readonly httpDuration: Histogram<'method' | 'route' | 'status_code'>;
  private readonly tokenDuration: Histogram<'grant_type' | 'error'>;
  private readonly httpChildren = new Map<string, Map<string, Map<number, HistogramChild>>>();
  private readonly tokenChildren = new Map<string, Map<string, HistogramChild>>();

  constructor(readonly service: string, options: { defaultMetrics?: boolean } = {}) {
    this.registry.setDefaultLabels({ service });
    if (options.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry });
    this.httpDuration = this.histogram({
      name: 'authz_http_server_request_duration_seconds',
      help: 'HTTP requests by method, route template (never the raw URL; `unmatched` for 404s) and status code: rate, errors and latency, seconds.',
      labelNames: ['method', 'route', 'status_code'],
      buckets: LATENCY_BUCKETS,
    });
    this.tokenDuration = this.histogram({
      name: 'authz_token_request_duration_seconds',
      help: 'POST /token requests by grant_type and RFC 6749 error code (`none` when a token was issued), seconds.',
      labelNames: ['grant_type', 'error'],
      buckets: LATENCY_BUCKETS,
    });
  }

  /** One finished HTTP request. */
  observeHttp(method: string, route: string, statusCode: number, seconds: number): void {
    let byRoute = this.httpChildren.get(method);
    if (!byRoute) this.httpChildren.set(method, (byRoute = new Map()));
    let byStatus = byRoute.get(route);
    if (!byStatus) byRoute.set(route, (byStatus = new Map()));
    let child = byStatus.get(statusCode);
    if (!child) byStatus.set(statusCode, (child = this.httpDuration.labels(method, route, String(statusCode))));
    child.observe(seconds);
  }

  /** One finished /token request (labels already bounded by grantTypeLabel / errorCodeLabel). */
  observeToken(grantType: string, error: string, seconds: number): void {
    let byError = this.tokenChildren.get(grantType);
    if (!byError) this.tokenChildren.set(grantType, (byError = new Map()));
    let child = byError.get(error);
    if (!child) byError.set(error, (child = this.tokenDuration.labels(grantType, error)));
    child.observe(seconds);
  }

  histogram<L extends string>(config: { name: string; help: string; labelNames?: readonly L[]; buckets?: number[] }): Histogram<L> {
    return (this.registry.getSingleMetric(config.name) as Histogram<L> | undefined) ?? new Histogram<L>({ ...config, registers: [this.registry] });
  }

  counter<L extends string>(config: { name: string; help: string; labelNames?: readonly L[] }): Counter<L> {
    return (this.registry.getSingleMetric(config.name) as Counter<L> | undefined) ?? new Counter<L>({ ...config, registers: [this.registry] });
  }

  /**
   * A gauge; `collect` (may be async) sets its values at scrape time. A collect that fails or takes
   * longer than 2 s leaves the gauge empty for that scrape instead of failing /metrics (a dependency
   * that is down must not hide every other series).
   */
  gauge<L extends string>(config: { name: string; help: string; labelNames?: readonly L[]; collect?: (gauge: Gauge<L>) => void | Promise<void> }): Gauge<L> {
    const existing = this.registry.getSingleMetric(config.name) as Gauge<L> | undefined;
    if (existing) return existing;
    const { collect, ...rest } = config;
    return new Gauge<L>({
      ...rest,
      registers: [this.registry],
      ...(collect
        ? {
            async collect(this: Gauge<L>) {
              this.reset();
              await withTimeout(Promise.resolve().then(() => collect(this)), 2000).catch(() => this.reset());
            },
          }
        : {}),
    });
  }

  /** The text exposition format (version 0.0.4) and its content type. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
