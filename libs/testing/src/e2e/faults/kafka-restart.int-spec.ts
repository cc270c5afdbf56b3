/**
 * Fault tolerance, scenario 2: the Kafka broker restarted under load. A broker of the test's own
 * (deploy/local/kafka.sh on other ports and a state directory of its own), the shared PostgreSQL and
 * Redis. While the broker is down the token endpoint answers 503 temporarily_unavailable (RFC 6749
 * §5.2 body, Retry-After) within KAFKA_PUBLISH_TIMEOUT_MS and a margin, never hangs, and readiness is
 * 503; once the broker is back the same process answers 200 again by itself, and every token a client
 * received has its event in the log.
 */
import { DEMO_SERVICE, basic } from '../grants-protocol';
import { cleanupRun, createRunDatabase, e2eRun, serviceEnv } from '../environment';
import { type RunningService, startServiceProcess, stopServiceProcess } from '../service-process';
import { KafkaInstance } from './kafka-instance';
import { checkLog, Load, outage, postForm, readiness, summary, tokenEvents, UNAVAILABLE } from './fault-harness';

const PUBLISH_TIMEOUT_MS = 2000;
/** Slack for a loaded 2-core machine on top of the publish timeout. */
const MARGIN_MS = 3000;
const e2e = e2eRun('faults-kafka');
const services: RunningService[] = [];
let kafka: KafkaInstance;

beforeAll(async () => {
  kafka = await KafkaInstance.create();
  await Promise.all([kafka.up(), createRunDatabase(e2e)]);
}, 240_000);

afterAll(async () => {
  await Promise.all(services.map(stopServiceProcess));
  await kafka?.destroy();
  // The topics went with the broker: only the database and the Redis keys are left.
  await cleanupRun(e2e, { kafkaTopics: false });
}, 60_000);

describe('the Kafka broker restarted under load', () => {
  it('503 temporarily_unavailable within the publish timeout while it is down, 200 again by itself after, nothing lost', async () => {
    const token = await startServiceProcess(
      'token',
      serviceEnv(e2e, { ISSUER: 'https://issuer.faults-kafka.e2e.test', LOG_LEVEL: 'warn', KAFKA_BROKERS: kafka.brokers, KAFKA_PUBLISH_TIMEOUT_MS: String(PUBLISH_TIMEOUT_MS) }),
    );
    services.push(token);
    const load = new Load(8, () => postForm(`${token.url}/token`, { grant_type: 'client_credentials' }, basic(DEMO_SERVICE), 60_000));
    await load.until((answers) => answers.filter((a) => a.status === 200).length >= 100, 60_000, '100 tokens');

    const killedAt = performance.now();
    await kafka.kill();
    // A steady outage: 503s for requests sent well after the kill.
    await load.until((answers) => answers.filter((a) => a.status === 503 && a.at > killedAt + PUBLISH_TIMEOUT_MS).length >= 16, 60_000, '16 answers 503 in the outage');
    expect(await readiness(token.url)).toEqual({ status: 503, checks: expect.objectContaining({ kafka: 'down' }) });

    const restartedAt = performance.now();
    const startupMs = await kafka.up();
    const upAt = performance.now();
    await load.until((answers) => answers.filter((a) => a.status === 200 && a.at > upAt).length >= 100, 60_000, '100 tokens after the restart');
    const answers = await load.stop();

    const firstOk = Math.min(...answers.filter((a) => a.status === 200 && a.at > restartedAt).map((a) => a.at + a.ms));
    const unavailable = answers.filter((a) => a.status === 503);
    const maxMs = Math.max(...answers.map((a) => a.ms));
    const max503 = Math.max(...unavailable.map((a) => a.ms));
    const sorted = unavailable.map((a) => a.ms).sort((a, b) => a - b);
    process.stderr.write(
      `[faults] Kafka restart: ${summary(answers)}; 503 latency p50 ${sorted[Math.floor(sorted.length / 2)]!.toFixed(0)} ms, max ${max503.toFixed(0)} ms ` +
        `(KAFKA_PUBLISH_TIMEOUT_MS ${PUBLISH_TIMEOUT_MS}); any answer max ${maxMs.toFixed(0)} ms; broker start ${startupMs.toFixed(0)} ms; ` +
        `first 200 ${(firstOk - upAt).toFixed(0)} ms after the broker was ready\n`,
    );
    // Only tokens and the outage's exact 503: no 500, no dropped connection, no hang.
    for (const answer of answers.filter((a) => a.status !== 200)) expect(outage(answer)).toEqual(UNAVAILABLE);
    expect(maxMs).toBeLessThan(PUBLISH_TIMEOUT_MS + MARGIN_MS);
    expect(firstOk - upAt).toBeLessThan(15_000);
    expect(await readiness(token.url)).toEqual({ status: 200, checks: expect.objectContaining({ kafka: 'up' }) });

    const log = checkLog(answers, await tokenEvents([kafka.brokers], e2e.prefix), [DEMO_SERVICE.id]);
    process.stderr.write(`[faults] Kafka restart: tokens received ${log.received}, over-reported events ${log.overReported} (503 answers: ${unavailable.length})\n`);
    expect(log.missing).toEqual([]);
    expect(log.overReported).toBeLessThanOrEqual(unavailable.length);
  });
});
