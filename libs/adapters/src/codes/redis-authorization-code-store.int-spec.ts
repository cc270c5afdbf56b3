import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { systemClock } from '@authz/ports';
import { RedisTtlStore } from '../redis';
import { describeAuthorizationCodeStoreContract } from './authorization-code-store.contract';
import { TtlAuthorizationCodeStore } from './ttl-authorization-code-store';

const url = process.env.REDIS_URL!;
const filePrefix = `test:${randomBytes(5).toString('hex')}:`;
let subjects = 0;
let raw: Redis;

beforeAll(() => {
  raw = new Redis(url);
});

afterAll(async () => {
  const keys = await raw.keys(`${filePrefix}*`);
  if (keys.length > 0) await raw.del(...keys);
  await raw.quit();
});

describeAuthorizationCodeStoreContract('over RedisTtlStore', async () => {
  const keyPrefix = `${filePrefix}${(subjects += 1)}:`;
  const connections: RedisTtlStore[] = [];
  const open = () => {
    const ttl = new RedisTtlStore({ url, keyPrefix });
    connections.push(ttl);
    return new TtlAuthorizationCodeStore({ store: ttl, clock: systemClock });
  };
  return {
    store: open(),
    peers: async (count) => Array.from({ length: count }, open),
    nowSeconds: () => Math.floor(Date.now() / 1000),
    elapse: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    dispose: async () => {
      await Promise.all(connections.map((connection) => connection.close()));
    },
  };
});
