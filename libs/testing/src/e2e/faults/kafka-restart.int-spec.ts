/**
 * Fault tolerance, scenario 2: the Kafka broker restarted under load. A broker of the test's own
 * (deploy/local/kafka.sh on other ports and a state directory of its own), the shared PostgreSQL and
 * Redis. While the broker is down the token endpoint answers 503 temporarily_unavailable (RFC 6749
 * §5.2 body, Retry-After) within KAFKA_PUBLISH_TIMEOUT_MS and a margin, never hangs, and readiness is
 * 503; once the broker is back the same process answers 200 again by itself, and every token a client
 * received has its event in the log. Then a broker that hangs (SIGSTOP: connections open, no answer):
 * the same bound holds.
 */
import { DEMO_SERVICE, WEB_APP, basic } from '../grants-protocol';
import { cleanupRun, createRunDatabase, e2eRun, serviceEnv } from '../environment';
import { type RunningService, startServiceProcess, stopServiceProcess } from '../service-process';
import { KafkaInstance } from './kafka-instance';
import { refreshFamiliesProjection } from '@authz/projections';
import { type Answer, checkLog, errorLines, Load, outage, postForm, projectedAccessTokens, readiness, rebuildAndCompare, seedCode, summary, tokenEvents, UNAVAILABLE } from './fault-harness';

const PUBLISH_TIMEOUT_MS = 2000;
/** Slack for a loaded 2-core machine on top of the publish timeout. */
const MARGIN_MS = 3000;
const e2e = e2eRun('faults-kafka');
const services: RunningService[] = [];
let kafka: KafkaInstance;
let token: RunningService;
let revocation: RunningService;
const delivered: Answer[] = [];
/** 503 answers of the first outage (and its refresh, code and revocation): events over-reported there are among them. */
let firstOutage503s = 0;

beforeAll(async () => {
  kafka = await KafkaInstance.create();
  await Promise.all([kafka.up(), createRunDatabase(e2e)]);
  const env = serviceEnv(e2e, { ISSUER: 'https://issuer.faults-kafka.e2e.test', LOG_LEVEL: 'warn', KAFKA_BROKERS: kafka.brokers, KAFKA_PUBLISH_TIMEOUT_MS: String(PUBLISH_TIMEOUT_MS) });
  token = await startServiceProcess('token', env);
  services.push(token);
  // The projector (revocation service) consumes from the same broker: it must resume by itself too.
  revocation = await startServiceProcess('revocation', env);
  services.push(revocation);
}, 240_000);

afterAll(async () => {
  await Promise.all(services.map(stopServiceProcess));
  await kafka?.destroy();
  // The topics went with the broker: only the database and the Redis keys are left.
  await cleanupRun(e2e, { kafkaTopics: false });
}, 60_000);

const tokenAt = (form: Record<string, string>, client: { id: string; secret: string }) => postForm(`${token.url}/token`, form, basic(client), 60_000);
const p50 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('the Kafka broker restarted under load', () => {
  it('503 temporarily_unavailable within the publish timeout while it is down, 200 again by itself after, nothing lost', async () => {
    const first = await tokenAt((await seedCode(process.env.REDIS_URL!, e2e.redisPrefix)).form, WEB_APP);
    expect(first.status).toBe(200);
    const pendingCode = await seedCode(process.env.REDIS_URL!, e2e.redisPrefix);
    const load = new Load(8, () => tokenAt({ grant_type: 'client_credentials' }, DEMO_SERVICE));
    await load.until((answers) => answers.filter((a) => a.status === 200).length >= 100, 60_000, '100 tokens');

    const killedAt = performance.now();
    await kafka.kill();
    // A steady outage: 503s for requests sent well after the kill.
    await load.until((answers) => answers.filter((a) => a.status === 503 && a.at > killedAt + PUBLISH_TIMEOUT_MS).length >= 16, 60_000, '16 answers 503 in the outage');
    // A refresh and a code redemption fail closed too; neither is spent (the family rolled back, the code put back).
    const [refreshDown, codeDown] = await Promise.all([tokenAt({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string }, WEB_APP), tokenAt(pendingCode.form, WEB_APP)]);
    expect([refreshDown, codeDown].map(outage)).toEqual([UNAVAILABLE, UNAVAILABLE]);
    // A revocation is an event: it cannot be made without the log.
    const issuedBefore = load.answers.find((a) => a.status === 200)!.body.access_token as string;
    const revokeDown = await postForm(`${revocation.url}/revoke`, { token: issuedBefore }, basic(DEMO_SERVICE), 60_000);
    expect(outage(revokeDown)).toEqual(UNAVAILABLE);
    expect(await readiness(token.url)).toEqual({ status: 503, checks: expect.objectContaining({ kafka: 'down' }) });
    expect(await readiness(revocation.url)).toEqual({ status: 503, checks: expect.objectContaining({ kafka: 'down' }) });

    const restartedAt = performance.now();
    const startupMs = await kafka.up();
    const upAt = performance.now();
    await load.until((answers) => answers.filter((a) => a.status === 200 && a.at > upAt).length >= 100, 60_000, '100 tokens after the restart');
    const answers = await load.stop();

    const firstOk = Math.min(...answers.filter((a) => a.status === 200 && a.at > restartedAt).map((a) => a.at + a.ms));
    const unavailable = answers.filter((a) => a.status === 503);
    const maxMs = Math.max(...answers.map((a) => a.ms), refreshDown.ms, codeDown.ms, revokeDown.ms);
    process.stderr.write(
      `[faults] Kafka killed: ${summary(answers)}; 503 latency p50 ${p50(unavailable.map((a) => a.ms)).toFixed(0)} ms, max ${Math.max(...unavailable.map((a) => a.ms)).toFixed(0)} ms ` +
        `(KAFKA_PUBLISH_TIMEOUT_MS ${PUBLISH_TIMEOUT_MS}); any answer max ${maxMs.toFixed(0)} ms; refresh 503 in ${refreshDown.ms.toFixed(0)} ms, code 503 in ${codeDown.ms.toFixed(0)} ms, revoke 503 in ${revokeDown.ms.toFixed(0)} ms; ` +
        `broker start ${startupMs.toFixed(0)} ms; first 200 ${(firstOk - upAt).toFixed(0)} ms after the broker was ready\n`,
    );
    // Only tokens and the outage's exact 503: no 500, no dropped connection, no hang.
    for (const answer of answers.filter((a) => a.status !== 200)) expect(outage(answer)).toEqual(UNAVAILABLE);
    expect(maxMs).toBeLessThan(PUBLISH_TIMEOUT_MS + MARGIN_MS);
    expect(firstOk - upAt).toBeLessThan(15_000);
    expect(await readiness(token.url)).toEqual({ status: 200, checks: expect.objectContaining({ kafka: 'up' }) });

    // The same refresh token and code serve now: nothing was spent by the failed attempts.
    const [refreshed, redeemed] = [await tokenAt({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string }, WEB_APP), await tokenAt(pendingCode.form, WEB_APP)];
    expect([refreshed.status, redeemed.status]).toEqual([200, 200]);
    expect((await postForm(`${revocation.url}/revoke`, { token: issuedBefore }, basic(DEMO_SERVICE))).status).toBe(200);
    delivered.push(first, ...answers, refreshed, redeemed);

    const log = checkLog(delivered, await tokenEvents([kafka.brokers], e2e.prefix), [DEMO_SERVICE.id, WEB_APP.id]);
    process.stderr.write(`[faults] Kafka killed: tokens received ${log.received}, over-reported events ${log.overReported} (503 answers: ${unavailable.length})\n`);
    expect(log.missing).toEqual([]);
    firstOutage503s = unavailable.length + 3;
    expect(log.overReported).toBeLessThanOrEqual(firstOutage503s);
  }, 240_000);

  it('a broker that hangs (SIGSTOP) is the same: 503 within the publish timeout, 200 again once it answers', async () => {
    // Two refresh families rotating through the hang as well.
    const families: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const answer = await tokenAt((await seedCode(process.env.REDIS_URL!, e2e.redisPrefix)).form, WEB_APP);
      delivered.push(answer);
      families.push(answer.body.refresh_token as string);
    }
    const load = new Load(10, async (worker) => {
      if (worker < 8) return tokenAt({ grant_type: 'client_credentials' }, DEMO_SERVICE);
      const answer = await tokenAt({ grant_type: 'refresh_token', refresh_token: families[worker - 8]! }, WEB_APP);
      if (answer.status === 200) families[worker - 8] = answer.body.refresh_token as string;
      return answer;
    });
    await load.until((answers) => answers.filter((a) => a.status === 200).length >= 50, 60_000, '50 tokens');
    const frozenAt = performance.now();
    kafka.freeze(true);
    try {
      await load.until((answers) => answers.filter((a) => a.status === 503 && a.at > frozenAt + PUBLISH_TIMEOUT_MS).length >= 16, 60_000, '16 answers 503 while the broker hangs');
    } finally {
      kafka.freeze(false);
    }
    const thawedAt = performance.now();
    await load.until((answers) => answers.filter((a) => a.status === 200 && a.at > thawedAt).length >= 50, 60_000, '50 tokens after the broker answers again');
    const answers = await load.stop();
    const firstOk = Math.min(...answers.filter((a) => a.status === 200 && a.at > thawedAt).map((a) => a.at + a.ms));
    const unavailable = answers.filter((a) => a.status === 503);
    const maxMs = Math.max(...answers.map((a) => a.ms));
    process.stderr.write(
      `[faults] Kafka hung: ${summary(answers)}; 503 latency p50 ${p50(unavailable.map((a) => a.ms)).toFixed(0)} ms, any answer max ${maxMs.toFixed(0)} ms; ` +
        `first 200 ${(firstOk - thawedAt).toFixed(0)} ms after SIGCONT\n`,
    );
    for (const answer of answers.filter((a) => a.status !== 200)) expect(outage(answer)).toEqual(UNAVAILABLE);
    expect(maxMs).toBeLessThan(PUBLISH_TIMEOUT_MS + MARGIN_MS);
    expect(firstOk - thawedAt).toBeLessThan(15_000);
    const events = await tokenEvents([kafka.brokers], e2e.prefix);
    const log = checkLog([...delivered, ...answers], events, [DEMO_SERVICE.id, WEB_APP.id]);
    expect(log.missing).toEqual([]);
    process.stderr.write(`[faults] Kafka hung: over-reported access-token events ${log.overReported} (503 answers: ${unavailable.length})\n`);
    expect(log.overReported).toBeLessThanOrEqual(firstOutage503s + unavailable.length);
    // The refresh families are what the log says, across the hang. A rotation whose batch timed out rolled
    // back (503); if the hung broker wrote that batch once it resumed, the log over-reports it: the rebuild
    // then also holds the phantom child's hash (a token nobody has), and the family's later rotations
    // override it. So: the families equal, and every live refresh token hash is in the rebuild.
    const refreshRows = await rebuildAndCompare(e2e.databaseUrl, [kafka.brokers], e2e.prefix, [refreshFamiliesProjection]);
    const byTable = Object.fromEntries(refreshRows.map((comparison) => [comparison.table, comparison]));
    expect(byTable.refresh_families!.live).toEqual(byTable.refresh_families!.rebuilt);
    expect(byTable.refresh_families!.live).toHaveLength(4);
    expect(byTable.refresh_tokens!.rebuilt).toEqual(expect.arrayContaining(byTable.refresh_tokens!.live));
    expect(byTable.revoked_grants!.live).toEqual(byTable.revoked_grants!.rebuilt);
    for (const value of families) expect((await tokenAt({ grant_type: 'refresh_token', refresh_token: value }, WEB_APP)).status).toBe(200);

    // The projector, consuming from the same broker through both outages, caught up by itself.
    const issued = events.filter((event) => event.type === 'oauth.access_token.issued.v1').length;
    const catchUpMs = await projectedAccessTokens(e2e.databaseUrl, issued, 60_000);
    process.stderr.write(`[faults] Kafka: the projector holds all ${issued} access-token events ${catchUpMs.toFixed(0)} ms after the load ended\n`);
    // Consumers crashed during the outage and kafkajs restarted them: none gave up, no request was a 500.
    for (const service of [token, revocation]) expect(errorLines(service)).toEqual([]);
  }, 240_000);
});
