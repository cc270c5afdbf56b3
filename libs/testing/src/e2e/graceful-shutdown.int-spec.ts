/**
 * Graceful shutdown (README "Health and shutdown") of the real token service (the compiled app, its
 * own process) on Kafka, PostgreSQL and Redis, under concurrent client_credentials load:
 *
 * - on SIGTERM readiness answers 503 at once, and requests are still served during SHUTDOWN_DELAY_MS;
 * - every answer the clients get is a complete 200 with a token (no 503, no cut body); a request that
 *   fails does so at the connection (refused once the listener closed, or an idle keep-alive connection
 *   closed before it was used) and was never processed: no event carries its request id;
 * - every token returned has its oauth.access_token.issued.v1 event in Kafka (the publisher flushed);
 * - the process exits 0 within SHUTDOWN_DELAY_MS + SHUTDOWN_TIMEOUT_MS + KAFKA_PUBLISH_TIMEOUT_MS.
 */
import { randomUUID } from 'node:crypto';
import { Topics } from '@authz/contracts';
import { cleanupRun, createRunDatabase, e2eRun, readTopic, serviceEnv } from './environment';
import { type RunningService, startServiceProcess, stopServiceProcess } from './service-process';

const DEMO_SERVICE = `Basic ${Buffer.from('demo-service:hXLTXDHb4b3fKjeB8OsWXm2XynVB-aPOV97xv29iCfU').toString('base64')}`;
const DELAY_MS = 1500;
const TIMEOUT_MS = 10_000;
const PUBLISH_TIMEOUT_MS = 5000;
const CONCURRENCY = 16;
const e2e = e2eRun('shutdown');
let token: RunningService | undefined;

type Outcome = { requestId: string; startedAt: number; endedAt: number; status?: number; accessToken?: string; body?: unknown; error?: string };

beforeAll(async () => {
  await createRunDatabase(e2e);
  token = await startServiceProcess(
    'token',
    serviceEnv(e2e, {
      ISSUER: 'https://issuer.shutdown.test',
      LOG_LEVEL: 'info',
      SHUTDOWN_DELAY_MS: String(DELAY_MS),
      SHUTDOWN_TIMEOUT_MS: String(TIMEOUT_MS),
      KAFKA_PUBLISH_TIMEOUT_MS: String(PUBLISH_TIMEOUT_MS),
    }),
  );
}, 120_000);

afterAll(async () => {
  if (token) await stopServiceProcess(token);
  await cleanupRun(e2e);
}, 60_000);

/** The code of a failed fetch (undici wraps the socket error in `cause`). */
function errorCode(error: unknown): string {
  const cause = (error as { cause?: { code?: string; name?: string } }).cause;
  return cause?.code ?? cause?.name ?? (error as Error).name;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('SIGTERM under load: readiness 503 at once, every accepted request a complete 200 whose event is in Kafka, exit 0 within the bound', async () => {
  const service = token!;
  const outcomes: Outcome[] = [];
  let stop = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    service.process.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  void exited.then(() => (stop = true));

  const worker = async () => {
    while (!stop) {
      const requestId = `shutdown-${randomUUID()}`;
      const outcome: Outcome = { requestId, startedAt: Date.now(), endedAt: 0 };
      outcomes.push(outcome);
      try {
        const response = await fetch(`${service.url}/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: DEMO_SERVICE, 'x-request-id': requestId },
          body: 'grant_type=client_credentials&scope=api%3Aread',
        });
        outcome.status = response.status;
        outcome.body = await response.json();
        outcome.accessToken = (outcome.body as { access_token?: string }).access_token;
      } catch (error) {
        outcome.error = errorCode(error);
        await sleep(10);
      }
      outcome.endedAt = Date.now();
    }
  };
  const workers = Array.from({ length: CONCURRENCY }, worker);

  await sleep(2000);
  const sigtermAt = Date.now();
  service.process.kill('SIGTERM');
  // Readiness turns 503 at once (well within the delay), while /token is still served.
  let readiness: { status: number; body: unknown; at: number } | undefined;
  while (!readiness && Date.now() - sigtermAt < DELAY_MS) {
    const response = await fetch(`${service.url}/healthz/ready`).catch(() => undefined);
    if (response?.status === 503) readiness = { status: 503, body: await response.json(), at: Date.now() };
    else await sleep(20);
  }
  const exit = await exited;
  await Promise.all(workers);

  expect(readiness).toEqual({ status: 503, body: { status: 'unavailable', checks: { shutdown: 'down' } }, at: expect.any(Number) });
  expect(readiness!.at - sigtermAt).toBeLessThan(1000);
  expect({ code: exit.code, signal: exit.signal }).toEqual({ code: 0, signal: null });
  expect(exit.at - sigtermAt).toBeLessThan(DELAY_MS + TIMEOUT_MS + PUBLISH_TIMEOUT_MS);
  // Drained: no connection with a request in flight was closed (the failures below were never accepted by the server).
  expect(service.output()).toContain('"drained":true');
  expect(service.output()).toContain('"msg":"shut down"');

  const answered = outcomes.filter((outcome) => outcome.status !== undefined);
  const failed = outcomes.filter((outcome) => outcome.error !== undefined);
  // Every answer is a complete 200 with a token: no 503, no cut body.
  expect(answered.filter((outcome) => outcome.status !== 200 || typeof outcome.accessToken !== 'string')).toEqual([]);
  expect(answered.map((outcome) => outcome.body)).toEqual(answered.map(() => ({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 600 })));
  // Served during the delay: requests started after SIGTERM were answered.
  expect(answered.filter((outcome) => outcome.startedAt > sigtermAt + 100).length).toBeGreaterThan(0);
  // Failures are at the connection only.
  expect([...new Set(failed.map((outcome) => outcome.error))].filter((code) => !['ECONNREFUSED', 'ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE', 'UND_ERR_CLOSED'].includes(code!))).toEqual([]);

  // Every token returned has its event, under its request id; no failed request was processed.
  const events = await readTopic(`${e2e.prefix}${Topics.tokens}`, { clientId: 'shutdown-reader' });
  const issued = new Map(
    events
      .filter((message) => message.headers.ce_type === 'oauth.access_token.issued.v1')
      .map((message) => {
        const envelope = JSON.parse(message.value) as { correlationid?: string; data: { jti: string } };
        return [envelope.correlationid, envelope.data.jti] as const;
      }),
  );
  const jtiOf = (accessToken: string) => (JSON.parse(Buffer.from(accessToken.split('.')[1]!, 'base64url').toString()) as { jti: string }).jti;
  expect(answered.filter((outcome) => issued.get(outcome.requestId) !== jtiOf(outcome.accessToken!)).map((outcome) => outcome.requestId)).toEqual([]);
  expect(failed.filter((outcome) => issued.has(outcome.requestId)).map((outcome) => outcome.requestId)).toEqual([]);
  expect(answered.length).toBeGreaterThan(50);
  process.stdout.write(
    `graceful shutdown: ${answered.length} answered (${answered.filter((outcome) => outcome.startedAt > sigtermAt).length} started after SIGTERM), ${failed.length} refused at the connection (${[...new Set(failed.map((outcome) => outcome.error))].join(', ')}), readiness 503 after ${readiness!.at - sigtermAt} ms, exit 0 after ${exit.at - sigtermAt} ms\n`,
  );
}, 120_000);
