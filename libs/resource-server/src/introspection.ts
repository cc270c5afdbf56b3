import { createHash } from 'node:crypto';

export type IntrospectionOptions = {
  /**
   * The RFC 7662 endpoint (`…/introspect`, with `clientId` and `clientSecret`: the resource server is a
   * registered confidential client), or the suite's internal `…/verify` (no credentials, inside the cluster).
   */
  url: string;
  clientId?: string;
  clientSecret?: string;
  /** A call without an answer after this is a failure (503), ms. Default 2000. */
  timeoutMs?: number;
  /**
   * How long an `active: true` answer is reused for the same token, seconds (never beyond its `exp`).
   * Default 5; 0 calls introspection for every request. The trade-off: a token revoked within this
   * window is still accepted by this process until the cached answer expires.
   */
  cacheSeconds?: number;
  /** Most tokens cached at once (the oldest entries go first). Default 10000. */
  cacheMaxEntries?: number;
  fetch?: typeof fetch;
};

export class IntrospectionUnavailableError extends Error {
  override readonly name = 'IntrospectionUnavailableError';
}

/** RFC 6749 §2.3.1: the client id and secret are form-urlencoded before base64. */
const formEncode = (value: string) => encodeURIComponent(value).replace(/%20/g, '+');

/**
 * Asks the authorization server whether a token is still active (RFC 7662): the fallback when the
 * revocation events cannot be read. Positive answers are cached briefly, keyed by the token's SHA-256
 * (never the token itself); negative ones are not (an inactive token is refused anyway, and a cached
 * negative could outlive a transient disagreement).
 */
export class IntrospectionClient {
  private readonly cache = new Map<string, number>();
  private readonly fetch: typeof fetch;
  /** Calls made (health, tests). */
  calls = 0;

  constructor(private readonly options: IntrospectionOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
    if ((options.clientId === undefined) !== (options.clientSecret === undefined)) throw new TypeError('introspection: give both clientId and clientSecret, or neither');
  }

  /** Whether `token` (whose `exp` is `expSeconds`) is active at `nowMs`. Throws IntrospectionUnavailableError. */
  async isActive(token: string, expSeconds: number, nowMs: number): Promise<boolean> {
    const key = createHash('sha256').update(token).digest('base64url');
    const cachedUntil = this.cache.get(key);
    if (cachedUntil !== undefined) {
      if (nowMs < cachedUntil) return true;
      this.cache.delete(key);
    }
    const active = await this.call(token);
    const ttlMs = (this.options.cacheSeconds ?? 5) * 1000;
    if (active && ttlMs > 0) {
      this.cache.set(key, Math.min(nowMs + ttlMs, expSeconds * 1000));
      const max = this.options.cacheMaxEntries ?? 10_000;
      for (const oldest of this.cache.keys()) {
        if (this.cache.size <= max) break;
        this.cache.delete(oldest);
      }
    }
    return active;
  }

  private async call(token: string): Promise<boolean> {
    this.calls += 1;
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (this.options.clientId !== undefined && this.options.clientSecret !== undefined) {
      headers.authorization = `Basic ${Buffer.from(`${formEncode(this.options.clientId)}:${formEncode(this.options.clientSecret)}`).toString('base64')}`;
    }
    let response: Response;
    try {
      response = await this.fetch(this.options.url, {
        method: 'POST',
        headers,
        body: new URLSearchParams({ token, token_type_hint: 'access_token' }).toString(),
        redirect: 'error',
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 2000),
      });
    } catch (error) {
      throw new IntrospectionUnavailableError(`introspection failed: ${(error as Error).message}`);
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw new IntrospectionUnavailableError(`introspection answered ${response.status}`);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new IntrospectionUnavailableError('introspection answered something that is not JSON');
    }
    const active = (body as { active?: unknown } | null)?.active;
    if (typeof active !== 'boolean') throw new IntrospectionUnavailableError('introspection answered without a boolean "active"');
    return active;
  }
}
