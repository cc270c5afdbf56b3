import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { z } from 'zod';
import { injectContext, tracer, tracingEnabled } from '@authz/platform';
import {
  DISCLOSABLE_REASONS,
  type CredentialCallMeta,
  type CredentialCheck,
  type CredentialVerdict,
  type CredentialVerifier,
  IdentityUnavailableError,
  type Logger,
  silentLogger,
  withinCredentialLimits,
} from '@authz/ports';
import { isLoopbackHost } from '../loopback';

export type HttpCredentialVerifierOptions = {
  /** The identity service's base URL (IDENTITY_URL), e.g. http://identity:8084. */
  baseUrl: string;
  /** A call without a whole answer after this long is an outage (IDENTITY_TIMEOUT_MS). */
  timeoutMs: number;
  /** IDENTITY_INTERNAL_TOKEN, sent as `Authorization: Bearer …` when set. */
  internalToken?: string;
  logger?: Logger;
  /** The fetch to use (tests); the global one (undici, keep-alive connections) by default. */
  fetch?: typeof fetch;
};

/** Per-call metadata (the port's): the caller's request id, sent as x-request-id (the correlation id of the identity events). */
export type { CredentialCallMeta };

const directoryUser = z
  .object({
    subject: z.string().min(1),
    dn: z.string().min(1),
    username: z.string().min(1),
    name: z.string().optional(),
    email: z.string().optional(),
    groups: z.array(z.string()),
  })
  .strict();

const verdictBody = z.discriminatedUnion('outcome', [
  z.object({ outcome: z.literal('authenticated'), user: directoryUser, auth_time: z.number().int().nonnegative() }).strict(),
  z.object({ outcome: z.literal('invalid_credentials'), reason: z.enum(DISCLOSABLE_REASONS).optional() }).strict(),
  z.object({ outcome: z.literal('locked'), retry_after: z.number().int().positive() }).strict(),
]);

/**
 * CredentialVerifier over the identity service's internal HTTP API (`POST /internal/v1/authenticate`):
 * the login page and the password grant of the distributed mode. A synchronous call, never Kafka.
 *
 * The global fetch (undici) keeps connections alive between calls. Anything but a well-formed 200 — a
 * refused connection, a timeout, a 5xx, a 401 (the shared secret does not match: a deployment error,
 * logged as such), a 400, a body that is not a verdict — rejects with IdentityUnavailableError: the
 * caller answers 503 temporarily_unavailable, never a failed login. Credentials beyond CREDENTIAL_LIMITS
 * are `invalid_credentials` without a call (no directory entry could match them).
 * Neither the password nor the body is ever logged.
 */
export class HttpCredentialVerifier implements CredentialVerifier {
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly authorization: string | undefined;
  private readonly logger: Logger;
  private readonly fetch: typeof fetch;

  constructor(options: HttpCredentialVerifierOptions) {
    const base = new URL(options.baseUrl);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error(`HttpCredentialVerifier: baseUrl must be http(s), got ${base.protocol}//`);
    this.url = new URL('internal/v1/authenticate', base.href.endsWith('/') ? base.href : `${base.href}/`).href;
    this.timeoutMs = options.timeoutMs;
    this.authorization = options.internalToken !== undefined ? `Bearer ${options.internalToken}` : undefined;
    this.logger = (options.logger ?? silentLogger).child({ component: 'http-credential-verifier', url: this.url });
    this.fetch = options.fetch ?? fetch;
    if (base.protocol === 'http:' && !isLoopbackHost(base.hostname)) {
      this.logger.warn({}, 'IDENTITY_URL is plain http:// to another host: passwords cross the network unencrypted unless a mesh (mTLS) carries them; prefer https://');
    }
  }

  async verify(check: CredentialCheck, meta: CredentialCallMeta = {}): Promise<CredentialVerdict> {
    if (!withinCredentialLimits(check.username, check.password)) return { outcome: 'invalid_credentials' };
    const body = JSON.stringify({
      username: check.username,
      password: check.password,
      client_id: check.clientId,
      ...(check.clientIp !== undefined ? { client_ip: check.clientIp } : {}),
    });
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    if (this.authorization !== undefined) headers.authorization = this.authorization;
    if (meta.correlationId !== undefined) headers['x-request-id'] = meta.correlationId;
    // Tracing on: a CLIENT span, child of the request's, and its W3C traceparent on the call.
    const span = tracingEnabled()
      ? tracer().startSpan('POST /internal/v1/authenticate', { kind: SpanKind.CLIENT, attributes: { 'http.request.method': 'POST', 'url.full': this.url } })
      : undefined;
    if (span) injectContext(trace.setSpan(context.active(), span), headers);
    try {
      const verdict = await this.call(headers, body);
      span?.end();
      return verdict;
    } catch (error) {
      span?.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
      span?.end();
      throw error;
    }
  }

  private async call(headers: Record<string, string>, body: string): Promise<CredentialVerdict> {
    let status: number;
    let text: string;
    try {
      // One signal for the whole exchange: headers and body.
      // Never follow a redirect: it would carry the password to wherever the Location points.
      const response = await this.fetch(this.url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(this.timeoutMs) });
      status = response.status;
      text = await response.text();
    } catch (error) {
      throw this.unavailable(isTimeout(error) ? `no answer within ${this.timeoutMs} ms` : `request failed: ${describe(error)}`, error);
    }

    if (status !== 200) {
      if (status === 401) this.logger.error({ status }, 'the identity service refused our internal token: check IDENTITY_INTERNAL_TOKEN on both sides');
      else if (status < 500) this.logger.error({ status, answer: text.slice(0, 200) }, 'the identity service refused the request');
      throw this.unavailable(`status ${status}`);
    }
    let parsed: z.infer<typeof verdictBody>;
    try {
      parsed = verdictBody.parse(JSON.parse(text));
    } catch (error) {
      this.logger.error({ err: describe(error) }, 'the identity service answered something that is not a verdict');
      throw this.unavailable('malformed answer', error);
    }
    switch (parsed.outcome) {
      case 'authenticated':
        return { outcome: 'authenticated', user: parsed.user, authTime: parsed.auth_time };
      case 'invalid_credentials':
        return parsed.reason !== undefined ? { outcome: 'invalid_credentials', reason: parsed.reason } : { outcome: 'invalid_credentials' };
      case 'locked':
        return { outcome: 'locked', retryAfter: parsed.retry_after };
    }
  }

  private unavailable(why: string, cause?: unknown): IdentityUnavailableError {
    this.logger.warn({ why }, 'identity service unavailable');
    return new IdentityUnavailableError(`identity service unavailable: ${why}`, cause !== undefined ? { cause } : undefined);
  }
}

// fetch's errors come from Node's own realm (not always `instanceof Error` here, e.g. under jest): duck-typed.
type ErrorLike = { name?: unknown; message?: unknown; code?: unknown; cause?: unknown };

function isTimeout(error: unknown): boolean {
  const name = (error as ErrorLike | null)?.name;
  return name === 'TimeoutError' || name === 'AbortError';
}

function describe(error: unknown): string {
  if (error === null || typeof error !== 'object') return String(error);
  const { message, cause } = error as ErrorLike;
  const detail = cause !== null && typeof cause === 'object' ? ((cause as ErrorLike).code ?? (cause as ErrorLike).message) : undefined;
  return detail !== undefined ? `${String(message)} (${String(detail)})` : String(message);
}
