/**
 * The revocation feed against the real Kafka: revocations published on a prefixed
 * `oauth.revocations` reach a running guard (time-to-apply measured), a guard started after a
 * revocation still refuses the token, a revocation older than the longest token lifetime is not read
 * at start (the start position is found by timestamp), and a poison message changes nothing.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { IntrospectionServer, JwksServer, signAccessToken, type TestKey, testKey } from './test-servers';
import type { KafkaRevocationFeed } from './revocation-feed';
import { createVerifier, type Verifier } from './verifier';

const ISSUER = 'https://issuer.int.test';
const AUDIENCE = 'https://api.example.org';
const prefix = `rs-${randomBytes(4).toString('hex')}.`;
const topic = `${prefix}oauth.revocations`;
const brokers = () => process.env.KAFKA_BROKERS!.split(',');

let kafka: Kafka;
let producer: Producer;
let jwks: JwksServer;
let key: TestKey;
const verifiers: Verifier[] = [];

function guard(): Verifier {
  const made = createVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUrl: jwks.url,
    maxTokenLifetimeSeconds: 3600,
    kafka: { brokers: brokers(), topicPrefix: prefix, maxWaitTimeInMs: 100, stalenessMs: 5000 },
  });
  verifiers.push(made);
  return made;
}

const envelope = (type: string, subject: string, data: Record<string, unknown>) =>
  JSON.stringify({ specversion: '1.0', id: randomUUID(), source: 'int-spec', type, time: new Date().toISOString(), subject, datacontenttype: 'application/json', data });

async function publish(key: string, value: string, timestamp = Date.now()): Promise<void> {
  await producer.send({ topic, acks: -1, messages: [{ key, value, timestamp: String(timestamp), headers: { 'content-type': 'application/cloudevents+json' } }] });
}

const grantRevoked = (grantId: string, revokedAt = Math.floor(Date.now() / 1000), coversUntil?: number) =>
  envelope('oauth.grant.revoked.v1', grantId, { grantId, clientId: 'web-app', subject: 'alice', reason: 'user_request', revokedAt, ...(coversUntil ? { coversUntil } : {}) });

async function bearer(grantId: string, jti: string = randomUUID()): Promise<string> {
  const iat = Math.floor(Date.now() / 1000);
  return `Bearer ${await signAccessToken(key, { iss: ISSUER, sub: 'alice', aud: AUDIENCE, client_id: 'web-app', iat, exp: iat + 600, jti, grant_id: grantId, scope: 'api:read' })}`;
}

beforeAll(async () => {
  kafka = new Kafka({ brokers: brokers(), clientId: 'resource-server-int', logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true });
  await admin.disconnect();
  producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true });
  await producer.connect();
  jwks = await new JwksServer().start();
  key = await testKey('k1');
  jwks.keys = [key.jwk];
});

afterAll(async () => {
  await Promise.all(verifiers.splice(0).map((made) => made.close()));
  await producer.disconnect();
  await jwks.stop();
  const admin = kafka.admin();
  await admin.connect();
  await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
  await admin.disconnect();
});

describe('KafkaRevocationFeed on the real Kafka', () => {
  it('starts one token lifetime back, applies revocations in milliseconds, and a guard started later still refuses the tokens', async () => {
    // Older than the longest accepted lifetime (3600 s + skew + 60 s): never read at start, although its coversUntil is far ahead.
    const old = Date.now() - 2 * 3600 * 1000;
    await publish('grant-old', grantRevoked('grant-old', old, Math.floor(Date.now() / 1000) + 86_400), old);
    await publish('grant-before', grantRevoked('grant-before'));
    await publish('poison', 'not json at all');

    const first = guard();
    await first.ready();
    const feed = first.parts.feed as KafkaRevocationFeed;
    expect(feed.set.isGrantRevoked('grant-before')).toBe(true);
    expect(feed.set.isGrantRevoked('grant-old')).toBe(false);
    expect(feed.counts).toEqual({ applied: 1, ignored: 1 });
    expect(first.health()).toEqual({ ready: true, revocations: 'kafka', feed: { available: true, caughtUp: true, lastFetchMsAgo: expect.any(Number), revocations: { grants: 1, tokens: 0 } } });

    const refused = { ok: false, status: 401, headers: { 'www-authenticate': 'Bearer realm="api", error="invalid_token"' }, body: { error: 'invalid_token', error_description: 'the token has been revoked' } };
    expect(await first.verify(await bearer('grant-before'))).toEqual(refused);

    // A revocation published while the guard runs: time from the acknowledged publish to the first refusal.
    const live = await bearer('grant-live');
    const single = await bearer('grant-other', 'jti-single');
    expect(await first.verify(live)).toMatchObject({ ok: true });
    expect(await first.verify(single)).toMatchObject({ ok: true });
    const timings: number[] = [];
    for (const [subject, value, token] of [
      ['grant-live', grantRevoked('grant-live'), live],
      [
        'grant-other',
        envelope('oauth.access_token.revoked.v1', 'grant-other', { jti: 'jti-single', grantId: 'grant-other', clientId: 'web-app', sub: 'alice', reason: 'client_request', revokedAt: Math.floor(Date.now() / 1000), expiresAt: Math.floor(Date.now() / 1000) + 600 }),
        single,
      ],
    ] as const) {
      const started = performance.now();
      await publish(subject, value);
      const acknowledged = performance.now();
      while ((await first.verify(token)).ok) {
        if (performance.now() - started > 10_000) throw new Error(`${subject}: not applied within 10 s`);
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      timings.push(Math.round(performance.now() - acknowledged));
    }
    console.log(`revocation applied by a running guard ${timings.join(' ms, ')} ms after Kafka acknowledged it (maxWaitTimeInMs 100)`);
    expect(await first.verify(live)).toEqual(refused);
    expect(await first.verify(single)).toEqual(refused);
    expect(await first.verify(await bearer('grant-other'))).toMatchObject({ ok: true });

    // A guard started after every revocation refuses the same tokens once ready.
    const startedAt = Date.now();
    const second = guard();
    expect(second.health().ready).toBe(false);
    await second.ready();
    console.log(`a new guard caught up in ${Date.now() - startedAt} ms`);
    for (const token of [live, single, await bearer('grant-before')]) expect(await second.verify(token)).toEqual(refused);
    expect((second.parts.feed as KafkaRevocationFeed).set.size).toEqual({ grants: 2, tokens: 1 });
    expect(await second.verify(await bearer('grant-fresh'))).toMatchObject({ ok: true });
  });

  it('retries while the topic does not exist yet and becomes ready once it does, failing closed meanwhile', async () => {
    const late = `${prefix}late.oauth.revocations`;
    const made = createVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: jwks.url,
      kafka: { brokers: brokers(), topicPrefix: `${prefix}late.`, maxWaitTimeInMs: 100, retryDelayMs: 200 },
    });
    verifiers.push(made);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(made.health()).toEqual({ ready: false, revocations: 'kafka', feed: { available: false, caughtUp: false, lastFetchMsAgo: null, revocations: { grants: 0, tokens: 0 } } });
    expect(await made.verify(await bearer('grant-x'))).toEqual({
      ok: false,
      status: 503,
      headers: { 'retry-after': '1' },
      body: { error: 'temporarily_unavailable', error_description: 'the token revocation status cannot be checked, retry later' },
    });
    const admin = kafka.admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: late, numPartitions: 2 }], waitForLeaders: true });
    } finally {
      await admin.disconnect();
    }
    await made.ready();
    expect(await made.verify(await bearer('grant-x'))).toMatchObject({ ok: true });
    // Closing deletes the process's own consumer group.
    const groupId = (made.parts.feed as KafkaRevocationFeed).groupId;
    const groups = kafka.admin();
    await groups.connect();
    expect((await groups.listGroups()).groups.map((group) => group.groupId)).toContain(groupId);
    await made.close();
    expect((await groups.listGroups()).groups.map((group) => group.groupId)).not.toContain(groupId);
    await groups.disconnect();
    const cleanup = kafka.admin();
    await cleanup.connect();
    await cleanup.deleteTopics({ topics: [late] }).catch(() => undefined);
    await cleanup.disconnect();
  });

  it('falls back to introspection while cut off from Kafka longer than the staleness bound, and catches up when the network heals', async () => {
    // A network partition of this guard alone (the shared broker is not touched): its sockets go
    // through this factory, which can cut them and refuse new ones.
    let partitioned = false;
    const sockets = new Set<Socket>();
    const socketFactory = ({ host, port, onConnect }: { host: string; port: number; onConnect: () => void }) => {
      const socket = partitioned ? connect({ host: '127.0.0.1', port: 1 }, onConnect) : connect({ host, port }, onConnect);
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      return socket;
    };
    const introspection = await new IntrospectionServer().start();
    try {
      const made = createVerifier({
        issuer: ISSUER,
        audience: AUDIENCE,
        jwksUrl: jwks.url,
        maxTokenLifetimeSeconds: 3600,
        kafka: { brokers: brokers(), topicPrefix: prefix, maxWaitTimeInMs: 100, stalenessMs: 1500, kafka: { socketFactory } },
        introspection: { url: introspection.url, cacheSeconds: 0 },
      });
      verifiers.push(made);
      await made.ready();
      const token = await bearer('grant-partition');
      expect(await made.verify(token)).toMatchObject({ ok: true });
      expect(introspection.requests).toHaveLength(0);

      partitioned = true;
      for (const socket of sockets) socket.destroy(new Error('network partition'));
      const cutAt = Date.now();
      while (made.health().ready) {
        if (Date.now() - cutAt > 10_000) throw new Error('the feed did not become stale');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      console.log(`feed stale ${Date.now() - cutAt} ms after the partition (stalenessMs 1500)`);
      // Revoked meanwhile: the feed cannot know, introspection is asked (and says so).
      await publish('grant-partition', grantRevoked('grant-partition'));
      introspection.answer = () => ({ status: 200, body: { active: false } });
      expect(await made.verify(token)).toEqual({ ok: false, status: 401, headers: { 'www-authenticate': 'Bearer realm="api", error="invalid_token"' }, body: { error: 'invalid_token', error_description: 'the token is not active' } });
      expect(introspection.requests).toHaveLength(1);

      partitioned = false;
      const healedAt = Date.now();
      await made.ready();
      while (!made.health().ready) {
        if (Date.now() - healedAt > 60_000) throw new Error('the feed did not recover');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      console.log(`feed trusted again ${Date.now() - healedAt} ms after the network healed`);
      expect(await made.verify(token)).toEqual({ ok: false, status: 401, headers: { 'www-authenticate': 'Bearer realm="api", error="invalid_token"' }, body: { error: 'invalid_token', error_description: 'the token has been revoked' } });
      expect(introspection.requests).toHaveLength(1);
    } finally {
      await introspection.stop();
    }
  });
});
