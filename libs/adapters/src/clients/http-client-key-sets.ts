import { clientPublicJwk } from '@authz/contracts';
import type { ClientJwk } from '@authz/oauth';
import { type ClientKeySets, type Clock, type Logger, systemClock } from '@authz/ports';

export type HttpClientKeySetsOptions = {
  logger: Logger;
  clock?: Clock;
  /** How long a fetched set is used without fetching again (ms, default 300 000). */
  ttlMs?: number;
  /** Least time between two fetches of one URI, also on a refresh (ms, default 30 000). */
  minRefreshIntervalMs?: number;
  /** A fetch that takes longer fails (ms, default 3000). */
  timeoutMs?: number;
  /** Largest accepted response body (bytes, default 64 KiB). */
  maxBytes?: number;
  /** Most URIs kept (default 10 000; the oldest entry goes first). */
  maxEntries?: number;
  fetch?: typeof fetch;
};

type Entry = { keys: ClientJwk[]; fetchedAt: number } | { failedAt: number; error: Error };

/**
 * ClientKeySets over HTTP (fetch): GET with a timeout, no redirects, a bounded body, JSON with a
 * `keys` array. Only public signature keys are kept (EC, RSA, OKP members; a key with a private or
 * symmetric member is dropped). Sets are cached per URI; a failure is remembered for the minimum
 * interval too, so an unreachable host is not asked again on every request.
 */
export class HttpClientKeySets implements ClientKeySets {
  private readonly entries = new Map<string, Entry>();
  private readonly inFlight = new Map<string, Promise<{ keys: ClientJwk[] }>>();
  private readonly clock: Clock;
  private readonly logger: Logger;

  constructor(private readonly options: HttpClientKeySetsOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger.child({ component: 'HttpClientKeySets' });
  }

  async get(uri: string, options: { refresh?: boolean } = {}): Promise<{ keys: ClientJwk[] }> {
    const now = this.clock.now().getTime();
    const entry = this.entries.get(uri);
    const since = entry ? now - ('fetchedAt' in entry ? entry.fetchedAt : entry.failedAt) : Infinity;
    const minInterval = this.options.minRefreshIntervalMs ?? 30_000;
    if (entry && 'keys' in entry && since < (options.refresh ? minInterval : (this.options.ttlMs ?? 300_000))) return { keys: entry.keys };
    if (entry && 'error' in entry && since < minInterval) throw entry.error;
    let pending = this.inFlight.get(uri);
    if (!pending) {
      pending = this.fetchSet(uri).finally(() => this.inFlight.delete(uri));
      this.inFlight.set(uri, pending);
    }
    return pending;
  }

  private async fetchSet(uri: string): Promise<{ keys: ClientJwk[] }> {
    try {
      const keys = await this.download(uri);
      this.remember(uri, { keys, fetchedAt: this.clock.now().getTime() });
      return { keys };
    } catch (cause) {
      // By shape: fetch's errors may come from another realm (undici's own).
      const message = (cause as { message?: unknown })?.message;
      const error = new Error(`jwks_uri ${uri}: ${typeof message === 'string' ? message : String(cause)}`);
      this.logger.warn({ uri, error: error.message }, 'client key set unavailable');
      this.remember(uri, { failedAt: this.clock.now().getTime(), error });
      throw error;
    }
  }

  private async download(uri: string): Promise<ClientJwk[]> {
    const response = await (this.options.fetch ?? fetch)(uri, {
      redirect: 'error',
      headers: { accept: 'application/jwk-set+json, application/json' },
      signal: AbortSignal.timeout(this.options.timeoutMs ?? 3000),
    });
    if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
    const body = await readBounded(response, this.options.maxBytes ?? 64 * 1024);
    let set: unknown;
    try {
      set = JSON.parse(body);
    } catch {
      throw new Error('not JSON');
    }
    const keys = (set as { keys?: unknown })?.keys;
    if (!Array.isArray(keys)) throw new Error('not a JWK Set (no keys array)');
    return keys.flatMap((key) => {
      const parsed = clientPublicJwk.safeParse(publicMembers(key));
      const hasPrivate = typeof key === 'object' && key !== null && ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'].some((member) => member in key);
      return parsed.success && !hasPrivate ? [parsed.data as ClientJwk] : [];
    });
  }

  private remember(uri: string, entry: Entry): void {
    this.entries.delete(uri);
    this.entries.set(uri, entry);
    if (this.entries.size > (this.options.maxEntries ?? 10_000)) this.entries.delete(this.entries.keys().next().value!);
  }
}

const PUBLIC_MEMBERS = ['kty', 'kid', 'alg', 'use', 'key_ops', 'crv', 'x', 'y', 'n', 'e'];

/** The public members the suite uses; others (x5c, x5t, …) are left out. */
function publicMembers(key: unknown): unknown {
  if (typeof key !== 'object' || key === null) return key;
  return Object.fromEntries(Object.entries(key).filter(([member]) => PUBLIC_MEMBERS.includes(member)));
}

async function readBounded(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > maxBytes) throw new Error(`larger than ${maxBytes} bytes`);
  const reader = response.body?.getReader();
  if (!reader) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      throw new Error(`larger than ${maxBytes} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
