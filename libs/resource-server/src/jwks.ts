import { importJWK, type JWK } from 'jose';

/** Public-key algorithms a verifier may accept. Never `none`, never HS* (a public key is no shared secret). */
export const ASYMMETRIC_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const;

export type JwksOptions = {
  /** The JWK Set URL (the authorization server's `jwks_uri`). */
  url: string;
  /** Accepted algorithms (a subset of ASYMMETRIC_ALGORITHMS). */
  algorithms: readonly string[];
  /** A fetch without an answer after this is a failure, ms. Default 3000. */
  timeoutMs?: number;
  /** A token with an unknown `kid` refetches the set at most this often, ms (no fetch storm on garbage kids). Default 30000. */
  unknownKidCooldownMs?: number;
  /** Freshness when the answer has no Cache-Control max-age, seconds. Default 300. */
  defaultMaxAgeSeconds?: number;
  /**
   * When a set older than its max-age cannot be fetched again, it is still used for this long
   * (RFC 5861's stale-if-error), seconds; after that, verification answers 503. Default 300.
   */
  staleIfErrorSeconds?: number;
  /** Largest accepted JWK Set, bytes. Default 65536. */
  maxBytes?: number;
  fetch?: typeof fetch;
  now?: () => number;
};

/** A key jose verifies with. */
export type VerificationKey = Awaited<ReturnType<typeof importJWK>>;

export class JwksUnavailableError extends Error {
  override readonly name = 'JwksUnavailableError';
}

type Entry = { jwk: JWK; imported: Map<string, Promise<VerificationKey>> };

/** Cache-Control (RFC 9111 §5.2.2): max-age in seconds; no-store and no-cache mean 0; absent: undefined. */
export function maxAgeOf(cacheControl: string | null): number | undefined {
  if (!cacheControl) return undefined;
  const directives = cacheControl.toLowerCase().split(',').map((directive) => directive.trim());
  if (directives.some((directive) => directive === 'no-store' || directive === 'no-cache')) return 0;
  for (const directive of directives) {
    const match = /^max-age\s*=\s*"?(\d+)"?$/.exec(directive);
    if (match) return Math.min(Number(match[1]), 86_400 * 365);
  }
  return undefined;
}

/** The algorithms a JWK can verify (its `alg` when it names one, else what its key type allows). */
function algorithmsOf(jwk: JWK): string[] {
  if (typeof jwk.alg === 'string') return [jwk.alg];
  if (jwk.kty === 'EC') return jwk.crv === 'P-256' ? ['ES256'] : jwk.crv === 'P-384' ? ['ES384'] : jwk.crv === 'P-521' ? ['ES512'] : [];
  if (jwk.kty === 'OKP') return jwk.crv === 'Ed25519' ? ['EdDSA', 'Ed25519'] : [];
  if (jwk.kty === 'RSA') return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
  return [];
}

/**
 * The authorization server's public keys, fetched from its JWK Set and cached as long as its
 * Cache-Control max-age says. A token whose `kid` is not in the set refetches it once (a key newer than
 * the cache), at most every `unknownKidCooldownMs`, and concurrent requests share one fetch.
 */
export class JwksCache {
  private keys = new Map<string, Entry>();
  /** Keys without a `kid`: usable only by a token without one. */
  private anonymous: Entry[] = [];
  private loaded = false;
  private freshUntil = 0;
  private staleUntil = 0;
  private lastUnknownKidFetch = Number.NEGATIVE_INFINITY;
  private inflight: Promise<void> | undefined;
  private readonly now: () => number;
  private readonly fetch: typeof fetch;
  /** How many times the set was fetched (health, tests). */
  fetches = 0;

  constructor(private readonly options: JwksOptions) {
    this.now = options.now ?? Date.now;
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  /**
   * The key for `kid` and `alg`, or undefined when the set has no such key (or the key is for another
   * algorithm). Throws JwksUnavailableError when no usable set can be had.
   */
  async key(kid: string | undefined, alg: string): Promise<VerificationKey | undefined> {
    let refreshed = false;
    if (!this.loaded || this.now() >= this.freshUntil) {
      try {
        await this.refresh();
        refreshed = true;
      } catch (error) {
        if (!this.loaded || this.now() >= this.staleUntil) throw new JwksUnavailableError(`the JWK Set cannot be fetched: ${(error as Error).message}`);
      }
    }
    let entry = this.find(kid, alg);
    const now = this.now();
    if (!entry && kid !== undefined && !refreshed) {
      if (this.inflight) {
        // Another request is fetching the set already: its answer is ours too.
        await this.inflight.catch(() => undefined);
        entry = this.find(kid, alg);
      } else if (now - this.lastUnknownKidFetch >= (this.options.unknownKidCooldownMs ?? 30_000)) {
        this.lastUnknownKidFetch = now;
        // A failure here leaves the cached set: the kid is unknown to it.
        await this.refresh().catch(() => undefined);
        entry = this.find(kid, alg);
      }
    }
    if (!entry) return undefined;
    let imported = entry.imported.get(alg);
    if (!imported) {
      imported = importJWK({ ...entry.jwk, alg }, alg);
      entry.imported.set(alg, imported);
    }
    return imported;
  }

  private find(kid: string | undefined, alg: string): Entry | undefined {
    if (kid !== undefined) {
      const entry = this.keys.get(kid);
      return entry && algorithmsOf(entry.jwk).includes(alg) ? entry : undefined;
    }
    // No kid: only unambiguous when a single key of the set can verify this algorithm.
    const candidates = [...this.keys.values(), ...this.anonymous].filter((entry) => algorithmsOf(entry.jwk).includes(alg));
    return candidates.length === 1 ? candidates[0] : undefined;
  }

  private refresh(): Promise<void> {
    this.inflight ??= this.load().finally(() => (this.inflight = undefined));
    return this.inflight;
  }

  private async load(): Promise<void> {
    this.fetches += 1;
    const response = await this.fetch(this.options.url, {
      headers: { accept: 'application/jwk-set+json, application/json' },
      redirect: 'error',
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 3000),
    });
    if (response.status !== 200) throw new Error(`status ${response.status}`);
    const text = await response.text();
    if (Buffer.byteLength(text) > (this.options.maxBytes ?? 65_536)) throw new Error('the JWK Set is too large');
    const set = JSON.parse(text) as { keys?: unknown };
    if (!Array.isArray(set.keys)) throw new Error('not a JWK Set');
    const keys = new Map<string, Entry>();
    const anonymous: Entry[] = [];
    for (const candidate of set.keys as JWK[]) {
      if (typeof candidate !== 'object' || candidate === null) continue;
      // Public signature keys only; private members and encryption keys are skipped, never used.
      if ('d' in candidate || 'k' in candidate || (candidate.use !== undefined && candidate.use !== 'sig')) continue;
      if (!algorithmsOf(candidate).some((alg) => this.options.algorithms.includes(alg))) continue;
      if (typeof candidate.kid === 'string') keys.set(candidate.kid, { jwk: candidate, imported: new Map() });
      else anonymous.push({ jwk: candidate, imported: new Map() });
    }
    const maxAge = maxAgeOf(response.headers.get('cache-control')) ?? this.options.defaultMaxAgeSeconds ?? 300;
    const now = this.now();
    this.keys = keys;
    this.anonymous = anonymous;
    this.loaded = true;
    this.freshUntil = now + maxAge * 1000;
    this.staleUntil = this.freshUntil + (this.options.staleIfErrorSeconds ?? 300) * 1000;
  }
}
