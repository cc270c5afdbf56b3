import { connect as netConnect, Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { Client } from 'ldapts';

/** A directory server of the failover list, e.g. `ldaps://dc1.example.org:636`. */
export type LdapServerOptions = {
  url: string;
  /** `ldap://` + StartTLS (RFC 4511 §4.14) before any bind. Ignored for `ldaps://`. */
  startTls: boolean;
  /** TLS options for ldaps:// and StartTLS (CA, certificate checks). */
  tls: ConnectionOptions | undefined;
  connectTimeoutMs: number;
  timeoutMs: number;
};

/**
 * A circuit breaker per server: `failureThreshold` consecutive infrastructure failures open it for
 * `openMs`; then it is half-open (one trial, or the health check's probe, may close it again).
 * Only infrastructure failures count (refused, timeout, busy), never an LDAP answer like invalidCredentials.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt: number | undefined;
  private trialInFlight = false;

  constructor(
    private readonly failureThreshold: number,
    private readonly openMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get state(): 'closed' | 'open' | 'half_open' {
    if (this.openedAt === undefined) return 'closed';
    return this.now() - this.openedAt >= this.openMs ? 'half_open' : 'open';
  }

  /** May a request go to this server now? In the half-open state, one request at a time. */
  allows(): boolean {
    const state = this.state;
    if (state === 'closed') return true;
    if (state === 'open' || this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  success(): void {
    this.failures = 0;
    this.openedAt = undefined;
    this.trialInFlight = false;
  }

  failure(): void {
    this.trialInFlight = false;
    this.failures += 1;
    if (this.openedAt !== undefined || this.failures >= this.failureThreshold) this.openedAt = this.now();
  }
}

export type PoolOptions = {
  /** Connections at most (busy + idle). */
  max: number;
  /** An idle connection older than this is closed (below AD's 900 s, and hardened DCs' 300 s). */
  idleMs: number;
  /** How long `use` waits for a free connection before failing with LdapPoolBusyError. */
  acquireTimeoutMs: number;
  /** Runs once on a fresh connection (StartTLS, the service-account bind). */
  prepare: (client: Client) => Promise<void>;
};

/** All connections are busy for longer than the acquire timeout: an infrastructure error (never a failed login). */
export class LdapPoolBusyError extends Error {
  override readonly name = 'LdapPoolBusyError';
}

type Pooled = { client: Client; lastUsed: number; reused: boolean };

const onReusedConnection = new WeakSet<object>();

/** The error came from a connection that had served before (it may have died quietly while idle). */
export function failedOnReusedConnection(error: unknown): boolean {
  return typeof error === 'object' && error !== null && onReusedConnection.has(error);
}

/**
 * A pool of connections to ONE server. A connection never reconnects by itself: its socket factory
 * works once (a second call fails), so a connection dropped by the server is an error and is thrown
 * away, never silently re-established unauthenticated (or, after StartTLS, in clear text).
 * A connection whose `use` threw an error that is not an LDAP result is destroyed, not reused.
 */
export class LdapPool {
  private readonly idle: Pooled[] = [];
  private readonly waiters: Array<(pooled: Pooled | Error) => void> = [];
  private total = 0;
  private closed = false;
  private readonly evictor: NodeJS.Timeout;

  constructor(
    readonly server: LdapServerOptions,
    private readonly options: PoolOptions,
    private readonly isConnectionHealthyAfter: (error: unknown) => boolean,
  ) {
    this.evictor = setInterval(() => this.evictIdle(), Math.max(250, Math.floor(options.idleMs / 4)));
    this.evictor.unref();
  }

  /** Open connections (busy + idle). */
  get size(): number {
    return this.total;
  }

  get idleCount(): number {
    return this.idle.length;
  }

  async use<T>(work: (client: Client) => Promise<T>): Promise<T> {
    const pooled = await this.acquire();
    let healthy = true;
    try {
      return await work(pooled.client);
    } catch (error) {
      healthy = this.isConnectionHealthyAfter(error);
      if (pooled.reused && typeof error === 'object' && error !== null) onReusedConnection.add(error);
      throw error;
    } finally {
      if (healthy && pooled.client.isConnected && !this.closed) this.release(pooled);
      else this.destroy(pooled);
    }
  }

  /** Closes idle connections older than the idle limit. */
  evictIdle(now = Date.now()): void {
    for (let index = this.idle.length - 1; index >= 0; index -= 1) {
      const pooled = this.idle[index]!;
      if (now - pooled.lastUsed >= this.options.idleMs || !pooled.client.isConnected) {
        this.idle.splice(index, 1);
        this.destroy(pooled);
      }
    }
  }

  /** Closes every idle connection (a server the breaker gave up on). */
  drain(): void {
    for (const pooled of this.idle.splice(0)) this.destroy(pooled);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.evictor);
    for (const waiter of this.waiters.splice(0)) waiter(new LdapPoolBusyError('LDAP pool closed'));
    const idle = this.idle.splice(0);
    this.total -= idle.length;
    await Promise.all(idle.map((pooled) => pooled.client.unbind().catch(() => undefined)));
  }

  private async acquire(): Promise<Pooled> {
    while (this.idle.length > 0) {
      const pooled = this.idle.pop()!;
      if (pooled.client.isConnected) return pooled;
      this.destroy(pooled);
    }
    if (this.total < this.options.max) {
      this.total += 1;
      const client = newClient(this.server);
      try {
        await this.options.prepare(client);
      } catch (error) {
        this.total -= 1;
        void client.unbind().catch(() => undefined);
        this.wakeOne();
        throw error;
      }
      return { client, lastUsed: Date.now(), reused: false };
    }
    return new Promise<Pooled>((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.waiters.indexOf(waiter);
        if (index >= 0) this.waiters.splice(index, 1);
        reject(new LdapPoolBusyError(`all ${this.options.max} LDAP connections to ${this.server.url} are busy`));
      }, this.options.acquireTimeoutMs);
      const waiter = (pooled: Pooled | Error): void => {
        clearTimeout(timer);
        if (pooled instanceof Error) reject(pooled);
        else resolve(pooled);
      };
      this.waiters.push(waiter);
    });
  }

  private release(pooled: Pooled): void {
    pooled.lastUsed = Date.now();
    pooled.reused = true;
    const waiter = this.waiters.shift();
    if (waiter) waiter(pooled);
    else this.idle.push(pooled);
  }

  private destroy(pooled: Pooled): void {
    this.total -= 1;
    void pooled.client.unbind().catch(() => undefined);
    this.wakeOne();
  }

  /** A slot freed up: a waiter gets a new connection. */
  private wakeOne(): void {
    if (this.closed || this.waiters.length === 0 || this.total >= this.options.max) return;
    const waiter = this.waiters.shift()!;
    this.acquire().then(waiter, (error: unknown) => waiter(error instanceof Error ? error : new Error(String(error))));
  }
}

/**
 * A ldapts client that connects at most once. ldapts reconnects transparently when a socket closed; for
 * a pooled connection that would mean an unauthenticated search (which finds nobody: an outage
 * looking like "wrong password") or, after StartTLS, clear text. The second connect fails instead.
 */
export function newClient(server: LdapServerOptions): Client {
  const url = new URL(server.url);
  const secure = url.protocol === 'ldaps:';
  let connects = 0;
  const refuse = (): Socket => {
    const socket = new Socket();
    process.nextTick(() => socket.destroy(Object.assign(new Error('LDAP connection was closed; pooled connections never reconnect'), { code: 'ECONNRESET' })));
    return socket;
  };
  return new Client({
    url: server.url,
    connectTimeout: server.connectTimeoutMs,
    timeout: server.timeoutMs,
    ...(secure ? { tlsOptions: server.tls ?? {} } : {}),
    createConnection: ((...args: Parameters<typeof netConnect>) => (connects++ === 0 ? netConnect(...args) : refuse())) as typeof netConnect,
    // ldaps: the first connection; StartTLS: the upgrade of the first connection (ldapts passes the socket).
    createSecureConnection: ((...args: Parameters<typeof tlsConnect>) => {
      if (!secure) return tlsConnect(...args);
      return connects++ === 0 ? tlsConnect(...args) : (refuse() as unknown as ReturnType<typeof tlsConnect>);
    }) as typeof tlsConnect,
  });
}

/** StartTLS when the server asks for it: the TLS options, with the host name to verify. */
export async function startTlsIfConfigured(client: Client, server: LdapServerOptions): Promise<void> {
  const url = new URL(server.url);
  if (url.protocol !== 'ldap:' || !server.startTls) return;
  await client.startTLS({ ...(server.tls ?? {}), servername: url.hostname.replace(/^\[|\]$/g, '') });
}
