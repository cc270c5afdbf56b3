import { Redis } from 'ioredis';
import { TtlStoreUnavailableError, silentLogger, type ClaimResult, type Logger, type TtlStore } from '@authz/ports';
import { assertTtlMs } from '../ttl/ttl-ms';

export type RedisTtlStoreOptions = {
  /** redis://[[user]:password@]host[:port][/db], or rediss:// for TLS. Redis 6.2 or later (GETDEL). */
  url: string;
  /** Prepended to every key (e.g. "authz:"), so that several deployments can share one Redis. */
  keyPrefix?: string;
  logger?: Logger;
  /** A command without an answer after this long rejects with TtlStoreUnavailableError (default 1000 ms). */
  commandTimeoutMs?: number;
  /** How long one connection attempt may take, and how long the first command waits for the first connection (default 1000 ms). */
  connectTimeoutMs?: number;
  /** Metrics hook: each command's name, duration (seconds, from the call to its answer) and whether it succeeded. */
  onCommand?: (command: string, seconds: number, ok: boolean) => void;
};

/**
 * INCR, and the ttl when the key has none (it was just created). Atomic: a script runs alone, and keys
 * do not expire in the middle of it, so a counter can never be left without a ttl.
 */
const INCREMENT_SCRIPT = `
local value = redis.call('INCR', KEYS[1])
if redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return value`;

/** DEL only when the key holds exactly ARGV[1] (one script: nothing runs between the GET and the DEL). */
const DELETE_IF_EQUALS_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * TtlStore.claim: KEYS[1] the claim, KEYS[2] the value. 0 when claimed already, 2 when the value is
 * missing (nothing set), else the claim is set (ARGV[1], PX ARGV[2]) and {1, value} returned.
 */
const CLAIM_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
local value = redis.call('GET', KEYS[2])
if not value then return {2} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {1, value}`;

type ScriptedRedis = Redis & {
  ttlStoreIncrement(key: string, ttlMs: number): Promise<number>;
  ttlStoreDeleteIfEquals(key: string, value: string): Promise<number>;
  ttlStoreClaim(claimKey: string, valueKey: string, claim: string, ttlMs: number): Promise<[0] | [2] | [1, string]>;
};

/** Error replies that mean the server cannot serve now (loading, failover, read-only replica, busy script). */
const UNAVAILABLE_REPLY = /^(LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|BUSY|NOREPLICAS|MISCONF)\b/;

/**
 * TtlStore over Redis (ioredis). An outage fails fast instead of queueing: no offline queue, one retry
 * per request, commands time out after commandTimeoutMs, and once the connection has failed every call
 * rejects at once with TtlStoreUnavailableError until it is back (ioredis reconnects in the background).
 * Only the first commands after construction wait, at most connectTimeoutMs, for the first connection.
 *
 * `take` is GETDEL (single use under any concurrency), `setIfAbsent` is SET NX PX, `replace` is SET PX GET, `increment` is a Lua
 * script (INCR, plus PEXPIRE when the key is new), `deleteIfEquals` a Lua script (GET, then DEL if equal), `claim` a Lua script (EXISTS, GET, SET PX). Error replies about the data itself (e.g. incrementing a
 * non-integer) reject with Redis's ReplyError, not as unavailable.
 */
export class RedisTtlStore implements TtlStore {
  private readonly client: ScriptedRedis;
  private readonly logger: Logger;
  private readonly connectTimeoutMs: number;
  private readonly onCommand: RedisTtlStoreOptions['onCommand'];
  /** The connection's failure since it was last ready; undefined while healthy. */
  private failure: Error | undefined;
  private everReady = false;
  private firstReady: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: RedisTtlStoreOptions) {
    this.logger = (options.logger ?? silentLogger).child({ component: 'redis-ttl-store' });
    this.connectTimeoutMs = options.connectTimeoutMs ?? 1000;
    this.onCommand = options.onCommand;
    const client = new Redis(options.url, {
      keyPrefix: options.keyPrefix ?? '',
      commandTimeout: options.commandTimeoutMs ?? 1000,
      connectTimeout: this.connectTimeoutMs,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      // A command whose connection dropped is not sent again after the reconnect: its caller was already told it failed.
      autoResendUnfulfilledCommands: false,
      retryStrategy: (attempt) => Math.min(50 * 2 ** attempt, 2000),
      // How long a dropped socket may take to close gracefully before it is destroyed (ioredis: 2 s, which
      // keeps a process that is shutting down during an outage alive that much longer).
      disconnectTimeout: 200,
    });
    client.defineCommand('ttlStoreIncrement', { numberOfKeys: 1, lua: INCREMENT_SCRIPT });
    client.defineCommand('ttlStoreDeleteIfEquals', { numberOfKeys: 1, lua: DELETE_IF_EQUALS_SCRIPT });
    client.defineCommand('ttlStoreClaim', { numberOfKeys: 2, lua: CLAIM_SCRIPT });
    this.client = client as ScriptedRedis;

    client.on('ready', () => {
      if (this.failure !== undefined) this.logger.info({}, 'Redis connection restored');
      this.failure = undefined;
      this.everReady = true;
    });
    // Without a listener ioredis prints every error to the console; log the first of an outage as a warning.
    client.on('error', (error: Error) => this.markFailed(error));
    client.on('close', () => {
      if (this.closing === undefined) this.markFailed(new Error('connection closed'));
    });
  }

  get(key: string): Promise<string | null> {
    return this.run('get', () => this.client.get(key));
  }

  async set(key: string, value: string, ttlMs: number): Promise<void> {
    assertTtlMs(ttlMs);
    await this.run('set', () => this.client.set(key, value, 'PX', ttlMs));
  }

  async setIfAbsent(key: string, value: string, ttlMs: number): Promise<boolean> {
    assertTtlMs(ttlMs);
    return (await this.run('set_nx', () => this.client.set(key, value, 'PX', ttlMs, 'NX'))) === 'OK';
  }

  take(key: string): Promise<string | null> {
    return this.run('getdel', () => this.client.getdel(key));
  }

  async replace(key: string, value: string, ttlMs: number): Promise<string | null> {
    assertTtlMs(ttlMs);
    // SET with GET (Redis 6.2): one command, so concurrent callers are ordered and exactly one sees the earlier value.
    return this.run('set_get', () => this.client.set(key, value, 'PX', ttlMs, 'GET'));
  }

  async increment(key: string, ttlMs: number): Promise<number> {
    assertTtlMs(ttlMs);
    return this.run('incr_script', () => this.client.ttlStoreIncrement(key, ttlMs));
  }

  async deleteIfEquals(key: string, value: string): Promise<boolean> {
    return (await this.run('delete_if_equals', () => this.client.ttlStoreDeleteIfEquals(key, value))) === 1;
  }

  async claim(claimKey: string, claim: string, ttlMs: number, valueKey: string): Promise<ClaimResult> {
    assertTtlMs(ttlMs);
    const reply = await this.run('claim_script', () => this.client.ttlStoreClaim(claimKey, valueKey, claim, ttlMs));
    if (reply[0] === 1) return { outcome: 'claimed', value: reply[1] };
    return reply[0] === 0 ? { outcome: 'taken' } : { outcome: 'missing' };
  }

  async delete(key: string): Promise<void> {
    await this.run('del', () => this.client.del(key));
  }

  async ping(): Promise<void> {
    await this.run('ping', () => this.client.ping());
  }

  /** QUIT (or drops the socket when not connected) and stops reconnecting. Idempotent; afterwards every call rejects with TtlStoreUnavailableError. */
  async close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.client.status === 'ready') {
        try {
          await this.client.quit();
          return;
        } catch {
          // fall through: drop the socket
        }
      }
      this.client.disconnect();
    })();
    await this.closing;
  }

  private markFailed(error: Error): void {
    const first = this.failure === undefined;
    // A socket error is followed by 'close': keep the more telling first reason.
    if (first || error.message !== 'connection closed') this.failure = error;
    const fields = { err: { message: error.message, code: (error as { code?: unknown }).code } };
    if (first) this.logger.warn(fields, 'Redis connection failed; calls fail until it is back');
    else this.logger.debug(fields, 'Redis connection still failing');
  }

  private async run<T>(name: string, command: () => Promise<T>): Promise<T> {
    const started = this.onCommand ? performance.now() : 0;
    try {
      await this.connected();
      const result = await command();
      this.onCommand?.(name, (performance.now() - started) / 1000, true);
      return result;
    } catch (error) {
      this.onCommand?.(name, (performance.now() - started) / 1000, false);
      throw toTtlStoreError(error);
    }
  }

  private async connected(): Promise<void> {
    if (this.closing !== undefined) throw new TtlStoreUnavailableError('the Redis TTL store is closed');
    if (this.client.status === 'ready') return;
    if (this.everReady || this.failure !== undefined) {
      throw new TtlStoreUnavailableError(`Redis unavailable: ${this.failure?.message ?? `connection ${this.client.status}`}`, { cause: this.failure });
    }
    this.firstReady ??= this.firstConnection();
    await this.firstReady;
  }

  /**
   * The first connection is still being made: wait for it, at most connectTimeoutMs (one wait shared by all
   * callers). Once that wait is over, a store that is still not connected fails fast like in an outage.
   */
  private firstConnection(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const settle = (error?: Error): void => {
        clearTimeout(timer);
        this.client.off('ready', onReady);
        this.client.off('error', onError);
        this.client.off('end', onEnd);
        if (error === undefined) resolve();
        else reject(new TtlStoreUnavailableError(`Redis unavailable: ${error.message}`, { cause: error }));
      };
      const onReady = (): void => settle();
      const onError = (error: Error): void => settle(error);
      const onEnd = (): void => settle(new Error('connection ended'));
      const timer = setTimeout(() => settle(new Error(`not connected within ${this.connectTimeoutMs} ms`)), this.connectTimeoutMs);
      this.client.once('ready', onReady);
      this.client.once('error', onError);
      this.client.once('end', onEnd);
    });
  }
}

/** ioredis's connection, timeout and retry errors, and the transient error replies → TtlStoreUnavailableError; other error replies unchanged. */
function toTtlStoreError(error: unknown): unknown {
  if (error instanceof TtlStoreUnavailableError) return error;
  const { name, message } = error instanceof Error ? error : { name: undefined, message: String(error) };
  if (name === 'ReplyError' && !UNAVAILABLE_REPLY.test(message)) return error;
  return new TtlStoreUnavailableError(`Redis unavailable: ${message}`, { cause: error });
}
