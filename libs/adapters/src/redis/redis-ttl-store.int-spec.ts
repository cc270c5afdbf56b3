import { randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { TtlStoreUnavailableError, silentLogger, type Logger } from '@authz/ports';
import { describeTtlStoreContract } from '../ttl/ttl-store.contract';
import { RedisTtlStore } from './redis-ttl-store';

const url = process.env.REDIS_URL!;
/** Every key this file writes starts with it, so nothing collides with other test files on the same Redis. */
const filePrefix = `test:${randomBytes(5).toString('hex')}:`;
let subjects = 0;

let raw: Redis;

beforeAll(() => {
  raw = new Redis(url);
});

afterAll(async () => {
  await deleteKeys(`${filePrefix}*`);
  await raw.quit();
});

describeTtlStoreContract(
  'RedisTtlStore',
  async () => {
    const keyPrefix = `${filePrefix}${(subjects += 1)}:`;
    const stores: RedisTtlStore[] = [];
    const open = (): RedisTtlStore => {
      const store = new RedisTtlStore({ url, keyPrefix });
      stores.push(store);
      return store;
    };
    return {
      store: open(),
      peers: async (count) => Array.from({ length: count }, open),
      elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
      dispose: async () => {
        await Promise.all(stores.map((store) => store.close()));
        await deleteKeys(`${keyPrefix}*`);
      },
    };
  },
  // Real time on a shared, loaded machine: a ttl long enough that scheduling delays stay well inside the 40% and 140% checks.
  { ttlMs: 1000 },
);

describe('RedisTtlStore', () => {
  it('writes under keyPrefix, always with a ttl', async () => {
    const keyPrefix = `${filePrefix}layout:`;
    const store = new RedisTtlStore({ url, keyPrefix });
    try {
      await store.set('a', '1', 60_000);
      await store.setIfAbsent('b', '2', 60_000);
      await store.increment('c', 60_000);
      await store.increment('c', 1);
      for (const key of ['a', 'b', 'c']) {
        const pttl = await raw.pttl(`${keyPrefix}${key}`);
        expect(pttl).toBeGreaterThan(59_000);
        expect(pttl).toBeLessThanOrEqual(60_000);
      }
      expect(await raw.get(`${keyPrefix}c`)).toBe('2');
      expect(await store.take('a')).toBe('1');
      expect(await raw.exists(`${keyPrefix}a`)).toBe(0);
    } finally {
      await store.close();
    }
  });

  it('gives a counter left without a ttl one on its next increment', async () => {
    const keyPrefix = `${filePrefix}heal:`;
    await raw.set(`${keyPrefix}legacy`, '5');
    const store = new RedisTtlStore({ url, keyPrefix });
    try {
      expect(await store.increment('legacy', 5000)).toBe(6);
      expect(await raw.pttl(`${keyPrefix}legacy`)).toBeGreaterThan(4000);
    } finally {
      await store.close();
    }
  });

  it('serves the first commands right after construction (waits for the first connection)', async () => {
    const store = new RedisTtlStore({ url, keyPrefix: `${filePrefix}cold:` });
    try {
      await Promise.all([store.ping(), store.set('k', 'v', 1000), store.get('k')]);
    } finally {
      await store.close();
    }
  });

  describe('when Redis cannot be reached', () => {
    it('rejects with TtlStoreUnavailableError fast when the port refuses connections, every time', async () => {
      const warnings: string[] = [];
      const store = new RedisTtlStore({ url: 'redis://127.0.0.1:1', logger: recordingLogger(warnings) });
      try {
        const started = Date.now();
        await expect(store.get('k')).rejects.toBeInstanceOf(TtlStoreUnavailableError);
        expect(Date.now() - started).toBeLessThan(2000);
        const again = Date.now();
        for (const call of [() => store.set('k', 'v', 1000), () => store.take('k'), () => store.increment('k', 1000), () => store.ping()]) {
          await expect(call()).rejects.toBeInstanceOf(TtlStoreUnavailableError);
        }
        expect(Date.now() - again).toBeLessThan(100);
        expect(warnings).toEqual(['Redis connection failed; calls fail until it is back']);
      } finally {
        await store.close();
      }
    });

    it('rejects with TtlStoreUnavailableError within connectTimeoutMs when the server accepts but never answers', async () => {
      const proxy = await tcpProxy(redisPort());
      proxy.freeze();
      const store = new RedisTtlStore({ url: `redis://127.0.0.1:${proxy.port}`, connectTimeoutMs: 300 });
      try {
        const started = Date.now();
        await expect(store.ping()).rejects.toBeInstanceOf(TtlStoreUnavailableError);
        expect(Date.now() - started).toBeLessThan(1000);
      } finally {
        await store.close();
        await proxy.close();
      }
    });

    it('fails fast during an outage, times out a command that gets no answer, and recovers when Redis is back', async () => {
      const proxy = await tcpProxy(redisPort());
      const store = new RedisTtlStore({ url: `redis://127.0.0.1:${proxy.port}`, keyPrefix: `${filePrefix}outage:`, commandTimeoutMs: 300 });
      try {
        await store.set('k', 'before', 10_000);

        // The network swallows everything: the command times out.
        proxy.freeze();
        let started = Date.now();
        await expect(store.get('k')).rejects.toBeInstanceOf(TtlStoreUnavailableError);
        expect(Date.now() - started).toBeLessThan(1000);

        // Redis goes away: calls reject at once, without queueing.
        await proxy.stop();
        await waitFor(async () => (await store.ping().then(() => 'up', (error: unknown) => error)) instanceof TtlStoreUnavailableError);
        started = Date.now();
        await expect(store.get('k')).rejects.toBeInstanceOf(TtlStoreUnavailableError);
        await expect(store.take('k')).rejects.toBeInstanceOf(TtlStoreUnavailableError);
        expect(Date.now() - started).toBeLessThan(100);

        // Redis is back: ioredis reconnects in the background and the calls succeed again.
        await proxy.start();
        await waitFor(async () => (await store.ping().then(() => 'up', () => 'down')) === 'up', 5000);
        expect(await store.take('k')).toBe('before');
      } finally {
        await store.close();
        await proxy.close();
      }
    });
  });
});

function redisPort(): number {
  return Number(new URL(url).port || 6379);
}

async function deleteKeys(pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await raw.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) await raw.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

/** A TCP proxy to Redis that a test can freeze (forward nothing), stop (refuse and cut connections) and start again on the same port. */
async function tcpProxy(targetPort: number): Promise<{ port: number; freeze(): void; stop(): Promise<void>; start(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  let frozen = false;
  let server: Server;
  let port = 0;
  const listen = async (): Promise<void> => {
    server = createServer((client) => {
      const upstream = connect(targetPort, '127.0.0.1');
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.on('data', (chunk) => frozen || upstream.write(chunk));
      upstream.on('data', (chunk) => frozen || client.write(chunk));
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  };
  const stop = (): Promise<void> =>
    new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      if (!server.listening) return resolve();
      server.close(() => resolve());
    });
  await listen();
  return {
    port,
    freeze: () => {
      frozen = true;
    },
    stop,
    start: async () => {
      frozen = false;
      await listen();
    },
    close: stop,
  };
}

function recordingLogger(warnings: string[]): Logger {
  const logger: Logger = { ...silentLogger, warn: (_obj, msg) => warnings.push(msg ?? ''), child: () => logger };
  return logger;
}

async function waitFor(condition: () => Promise<boolean>, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
