/**
 * Hostile input against the distributed token service (real Kafka, PostgreSQL, Redis, slapd, with the
 * identity service over HTTP): what only this mode can show. The body and header refusals (answered
 * before any dependency is asked), and then every grant and client authentication method run end to
 * end while the test collects every secret it sent or received, and proves that none of them is in
 * a log line of either process, a Kafka message of the run's topics, a Redis key or value of the
 * run's prefix, or a row of the run's database.
 */
import { createHash, randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { Redis } from 'ioredis';
import { Kafka, logLevel } from 'kafkajs';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { RedisTtlStore, TtlAuthorizationCodeStore } from '@authz/adapters';
import { sha256Hash } from '@authz/oauth';
import { systemClock } from '@authz/ports';
import { adminQuery, cleanupRun, createRunDatabase, e2eRun, kafkaBrokers, serviceEnv } from './environment';
import { type RunningService, startServiceProcess, stopServiceProcess } from './service-process';

const ISSUER = 'https://issuer.hostile.e2e.test';
const e2e = e2eRun('e2e-hostile');
const { prefix, redisPrefix, databaseUrl } = e2e;
const INTERNAL_TOKEN = randomBytes(32).toString('base64url');
const INITIAL_ACCESS_TOKEN = randomBytes(32).toString('base64url');
const FORM = 'application/x-www-form-urlencoded';
const ASSERTION_TYPE = encodeURIComponent('urn:ietf:params:oauth:client-assertion-type:jwt-bearer');
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const DEMO_SERVICE_SECRET = 'hXLTXDHb4b3fKjeB8OsWXm2XynVB-aPOV97xv29iCfU';
const WEB_APP_SECRET = 'OTSeU3LY8wciN-jEkP-jZ4LnzfjIvZOA_qRHOUqhnGY';
const LEGACY_APP_SECRET = 'dMZlp1jnMSwy4utWUVGvLE5pLzsd5ERr94xZkfH2gNA';
const SERVICE = basic('demo-service', DEMO_SERVICE_SECRET);
const WEB = basic('web-app', WEB_APP_SECRET);
const LEGACY = basic('legacy-app', LEGACY_APP_SECRET);

const services: RunningService[] = [];
let token: RunningService;
let codeStoreConnection: RedisTtlStore;

beforeAll(async () => {
  await createRunDatabase(e2e);
  const env = serviceEnv(e2e, {
    ISSUER,
    CLIENT_SECRET_PEPPER: randomBytes(32).toString('base64url'),
    REGISTRATION_INITIAL_ACCESS_TOKEN: INITIAL_ACCESS_TOKEN,
    // Every line a process can write, so that the search below covers all of them.
    LOG_LEVEL: 'trace',
    LDAP_BASE_DN: 'ou=people,dc=example,dc=org',
    IDENTITY_INTERNAL_TOKEN: INTERNAL_TOKEN,
    LOGIN_FAILURE_MIN_MS: '0',
  });
  const identity = await startServiceProcess('identity', env);
  services.push(identity);
  token = await startServiceProcess('token', { ...env, IDENTITY_URL: identity.url });
  services.push(token);
  codeStoreConnection = new RedisTtlStore({ url: process.env.REDIS_URL!, keyPrefix: redisPrefix });
}, 180_000);

afterAll(async () => {
  await codeStoreConnection?.close().catch(() => undefined);
  await Promise.all(services.map(stopServiceProcess));
  await cleanupRun(e2e);
}, 60_000);

type Answer = { status: number; body: Record<string, unknown>; cacheControl: string | null; pragma: string | null; wwwAuthenticate: string | null };

async function post(path: string, headers: Record<string, string>, body: string | Buffer): Promise<Answer> {
  const response = await fetch(`${token.url}${path}`, { method: 'POST', headers, body });
  const text = await response.text();
  return {
    status: response.status,
    body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>),
    cacheControl: response.headers.get('cache-control'),
    pragma: response.headers.get('pragma'),
    wwwAuthenticate: response.headers.get('www-authenticate'),
  };
}

const tokenRequest = (form: string | Buffer, authorization?: string, contentType = FORM) =>
  post('/token', { 'content-type': contentType, ...(authorization ? { authorization } : {}) }, form);

const rfcError = (status: number, error: string, description: string, wwwAuthenticate: string | null = null): Answer => ({
  status,
  body: { error, error_description: description },
  cacheControl: 'no-store',
  pragma: 'no-cache',
  wwwAuthenticate,
});

/** Raw HTTP/1.1 (fetch cannot repeat a header or send a malformed one): status and body. */
function rawHttp(head: string[], body: string): Promise<{ status: number; body: string }> {
  const { port } = new URL(token.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => socket.write(`${[...head, `content-length: ${Buffer.byteLength(body)}`, 'connection: close'].join('\r\n')}\r\n\r\n${body}`));
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    socket.on('error', reject);
    socket.on('end', () => {
      const [headers, ...rest] = received.split('\r\n\r\n');
      resolve({ status: Number(headers!.split(' ')[1]), body: rest.join('\r\n\r\n') });
    });
  });
}

async function seededCode() {
  const code = randomBytes(32).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  await new TtlAuthorizationCodeStore({ store: codeStoreConnection, clock: systemClock }).save(sha256Hash(code), {
    grantId: `grant-${randomBytes(8).toString('hex')}`,
    clientId: 'web-app',
    redirectUri: 'http://localhost:3000/callback',
    scopes: ['openid', 'api:read'],
    subject: 'alice',
    authTime: now - 5,
    codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
    codeChallengeMethod: 'S256',
    issuedAt: now,
    expiresAt: now + 60,
  });
  return { code, verifier, form: `grant_type=authorization_code&code=${code}&redirect_uri=${encodeURIComponent('http://localhost:3000/callback')}&code_verifier=${verifier}` };
}

describe('the distributed token service refuses hostile requests before it asks a dependency', () => {
  it.each<[string, () => Promise<Answer>, Answer]>([
    ['a body of 64 KiB + 1 byte', () => tokenRequest(`grant_type=client_credentials&pad=${'x'.repeat(64 * 1024)}`, SERVICE), rfcError(413, 'invalid_request', 'Request body is too large')],
    ['raw bytes that are not UTF-8', () => tokenRequest(Buffer.from([0x67, 0x3d, 0xff]), SERVICE), rfcError(400, 'invalid_request', 'the request body is not valid UTF-8')],
    ['a charset other than UTF-8', () => tokenRequest('grant_type=client_credentials', SERVICE, `${FORM}; charset=latin1`), rfcError(400, 'invalid_request', 'the request body must be UTF-8 (RFC 6749 appendix B)')],
    ['a JSON body', () => tokenRequest('{"grant_type":"client_credentials"}', SERVICE, 'application/json'), rfcError(400, 'invalid_request', 'the request body must be application/x-www-form-urlencoded')],
    ['a resource with a space', () => tokenRequest(`grant_type=client_credentials&resource=${encodeURIComponent('https://api.example.org https://api.example.org')}`, SERVICE), rfcError(400, 'invalid_target', 'a resource must be an absolute URI without a fragment')],
    ['a wrong secret in Basic', () => tokenRequest('grant_type=client_credentials', basic('demo-service', 'wrong')), rfcError(401, 'invalid_client', 'client authentication failed', 'Basic realm="token", error="invalid_client"')],
    ['a 5000-character password (never sent to the identity service)', () => tokenRequest(`grant_type=password&username=alice&password=${'p'.repeat(5000)}`, LEGACY), rfcError(400, 'invalid_grant', 'the resource owner credentials are invalid')],
    ['a registration whose JSON is not UTF-8', () => post('/register', { 'content-type': 'application/json', authorization: `Bearer ${INITIAL_ACCESS_TOKEN}` }, Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x7d])), rfcError(400, 'invalid_request', 'the request body is not valid UTF-8')],
  ])('%s', async (_name, request, expected) => {
    expect(await request()).toEqual(expected);
  });

  it.each([
    ['two Authorization headers', ['POST /token HTTP/1.1', 'host: x', `authorization: ${SERVICE}`, `authorization: ${WEB}`, `content-type: ${FORM}`], 400, 'the authorization header is included more than once'],
    ['headers over 16 KiB', ['POST /token HTTP/1.1', 'host: x', `authorization: Basic ${'A'.repeat(20 * 1024)}`, `content-type: ${FORM}`], 431, 'the request headers are too large'],
  ])('answers %s with the RFC error body', async (_name, head, status, description) => {
    const response = await rawHttp(head as string[], 'grant_type=client_credentials');
    expect({ status: response.status, body: JSON.parse(response.body) as unknown }).toEqual({ status, body: { error: 'invalid_request', error_description: description } });
  });
});

describe('no secret in a log line, a Kafka message, a Redis key or value, or a database row (distributed mode)', () => {
  it('runs every grant and client authentication method, then finds none of the secrets it sent or received', async () => {
    const secrets: string[] = [DEMO_SERVICE_SECRET, WEB_APP_SECRET, LEGACY_APP_SECRET, INITIAL_ACCESS_TOKEN, INTERNAL_TOKEN, 'alice-password', 'not-the-password-of-bob'];
    const collect = async (answer: Promise<Answer>) => {
      const { status, body } = await answer;
      expect(status).toBeLessThan(500);
      for (const name of ['access_token', 'refresh_token', 'client_secret', 'registration_access_token']) if (typeof body[name] === 'string') secrets.push(body[name] as string);
      return body;
    };

    await collect(tokenRequest('grant_type=client_credentials', SERVICE));
    const seed = await seededCode();
    secrets.push(seed.code, seed.verifier);
    const redeemed = await collect(tokenRequest(seed.form, WEB));
    const rotated = await collect(tokenRequest(`grant_type=refresh_token&refresh_token=${String(redeemed.refresh_token)}`, WEB));
    expect(rotated.refresh_token).toEqual(expect.any(String));
    await collect(tokenRequest(`grant_type=refresh_token&refresh_token=${String(redeemed.refresh_token)}`, WEB)); // reuse: the family is revoked
    await collect(tokenRequest(seed.form, WEB)); // a replayed code
    await collect(tokenRequest('grant_type=password&username=alice&password=alice-password', LEGACY));
    await collect(tokenRequest('grant_type=password&username=bob&password=not-the-password-of-bob', LEGACY));
    const registration = await collect(
      post('/register', { 'content-type': 'application/json', authorization: `Bearer ${INITIAL_ACCESS_TOKEN}` }, JSON.stringify({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'client_secret_post', scope: 'y' })),
    );
    await collect(tokenRequest(`grant_type=client_credentials&client_id=${String(registration.client_id)}&client_secret=${String(registration.client_secret)}`));
    const pair = await generateKeyPair('ES256');
    const jwtClient = await collect(
      post(
        '/register',
        { 'content-type': 'application/json', authorization: `Bearer ${INITIAL_ACCESS_TOKEN}` },
        JSON.stringify({ grant_types: ['client_credentials'], token_endpoint_auth_method: 'private_key_jwt', jwks: { keys: [await exportJWK(pair.publicKey)] }, scope: 'z' }),
      ),
    );
    const clientId = String(jwtClient.client_id);
    const assertion = await new SignJWT({ iss: clientId, sub: clientId, aud: ISSUER, exp: Math.floor(Date.now() / 1000) + 60, jti: randomBytes(8).toString('hex') })
      .setProtectedHeader({ alg: 'ES256' })
      .sign(pair.privateKey);
    secrets.push(assertion);
    const assertionForm = `grant_type=client_credentials&scope=z&client_assertion_type=${ASSERTION_TYPE}&client_assertion=${assertion}`;
    expect((await collect(tokenRequest(assertionForm))).access_token).toEqual(expect.any(String));
    expect((await collect(tokenRequest(assertionForm))).error).toBe('invalid_client'); // the jti again
    await fetch(`${token.url}/register/${String(registration.client_id)}`, { headers: { authorization: `Bearer ${String(registration.registration_access_token)}` } });
    expect(secrets.length).toBeGreaterThan(15);

    // Give the log time to flush, then look everywhere the run could have written.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const logs = services.map((service) => service.output()).join('\n');
    const kafka = new Kafka({ brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    const topics = (await admin.listTopics()).filter((topic) => topic.startsWith(prefix));
    await admin.disconnect();
    const messages: string[] = [];
    const consumer = kafka.consumer({ groupId: `${prefix}secret-scan` });
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void messages.push(`${message.key?.toString() ?? ''} ${message.value?.toString() ?? ''} ${JSON.stringify(message.headers ?? {})}`) });
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline && !messages.some((message) => message.includes('oauth.client.registered.v1') && message.includes(clientId))) await new Promise((resolve) => setTimeout(resolve, 200));
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await consumer.disconnect();
    const redis = new Redis(process.env.REDIS_URL!);
    const keys = await redis.keys(`${redisPrefix}*`);
    const redisEntries = await Promise.all(keys.map(async (key) => `${key} ${(await redis.type(key)) === 'string' ? ((await redis.get(key)) ?? '') : JSON.stringify(await redis.hgetall(key).catch(() => ({})))}`));
    await redis.quit();
    const tables = await adminQuery("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'", [], databaseUrl);
    const rows: string[] = [];
    for (const { table_name } of tables) rows.push(...(await adminQuery(`SELECT row_to_json(t)::text AS row FROM "${String(table_name)}" t`, [], databaseUrl)).map((row) => String(row.row)));

    expect({ logs: logs.length > 1000, messages: messages.length > 10, redis: keys.length > 0, rows: rows.length > 5 }).toEqual({ logs: true, messages: true, redis: true, rows: true });
    const everywhere = { logs, kafka: messages.join('\n'), redis: redisEntries.join('\n'), postgres: rows.join('\n') };
    // The search sees what was written: the hashes that stand for the secrets are there.
    expect({
      codeHashInRedis: everywhere.redis.includes(sha256Hash(seed.code)),
      accessTokenHashInKafka: everywhere.kafka.includes(sha256Hash(String(redeemed.access_token))),
      refreshTokenHashInPostgres: everywhere.postgres.includes(sha256Hash(String(rotated.refresh_token))),
    }).toEqual({ codeHashInRedis: true, accessTokenHashInKafka: true, refreshTokenHashInPostgres: true });
    const leaks = Object.entries(everywhere).flatMap(([where, text]) => secrets.filter((secret) => text.includes(secret)).map((secret) => `${where}: ${secret.slice(0, 12)}...`));
    expect(leaks).toEqual([]);
  }, 120_000);
});
