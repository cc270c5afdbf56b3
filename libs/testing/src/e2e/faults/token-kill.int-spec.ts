/**
 * Fault tolerance, scenario 1: a token service process killed (SIGKILL) under load, on the shared Kafka,
 * PostgreSQL and Redis. Concurrent client_credentials and refresh-token rotations run against it; it
 * is killed mid-load. Every token a client received (a 200) has its event in the log: the access token's
 * oauth.access_token.issued.v1 (jti and SHA-256), the refresh token's .issued/.rotated (SHA-256). The log
 * may hold events for tokens whose answer never left (over-reports): counted, never more than the
 * requests left without an answer. A new process then serves the same families.
 */
import { DEMO_SERVICE, WEB_APP, basic } from '../grants-protocol';
import { cleanupRun, createRunDatabase, e2eRun, kafkaBrokers, serviceEnv } from '../environment';
import { type RunningService, startServiceProcess, stopServiceProcess } from '../service-process';
import { type Answer, checkLog, errorLines, Load, postForm, seedCode, summary, tokenEvents } from './fault-harness';

const e2e = e2eRun('faults-kill');
const services: RunningService[] = [];
let env: Record<string, string>;

beforeAll(async () => {
  await createRunDatabase(e2e);
  env = serviceEnv(e2e, { ISSUER: 'https://issuer.faults-kill.e2e.test', LOG_LEVEL: 'warn' });
}, 60_000);

afterAll(async () => {
  await Promise.all(services.map(stopServiceProcess));
  await cleanupRun(e2e);
}, 60_000);

describe('kill -9 of a token service under load', () => {
  it('every token a client received has its event in the log; over-reports are counted and bounded', async () => {
    const token = await startServiceProcess('token', env);
    services.push(token);
    // Refresh-token families to rotate under load, one per refresh worker.
    const REFRESH_WORKERS = 4;
    const CC_WORKERS = 12;
    const refreshTokens: string[] = [];
    const initial: Answer[] = [];
    for (let i = 0; i < REFRESH_WORKERS; i += 1) {
      const answer = await postForm(`${token.url}/token`, (await seedCode(process.env.REDIS_URL!, e2e.redisPrefix)).form, basic(WEB_APP));
      expect(answer.status).toBe(200);
      initial.push(answer);
      refreshTokens.push(answer.body.refresh_token as string);
    }

    const load = new Load(CC_WORKERS + REFRESH_WORKERS, async (worker) => {
      if (worker < CC_WORKERS) return postForm(`${token.url}/token`, { grant_type: 'client_credentials' }, basic(DEMO_SERVICE), 10_000);
      const family = worker - CC_WORKERS;
      const answer = await postForm(`${token.url}/token`, { grant_type: 'refresh_token', refresh_token: refreshTokens[family]! }, basic(WEB_APP), 10_000);
      if (answer.status === 200) refreshTokens[family] = answer.body.refresh_token as string;
      return answer;
    });
    // Mid-load: once both grants have been answered a fair number of times.
    await load.until((answers) => answers.filter((a) => a.status === 200 && a.body.refresh_token).length >= 40 && answers.filter((a) => a.status === 200).length >= 300, 60_000, '300 tokens');
    token.process.kill('SIGKILL');
    await new Promise((resolve) => token.process.once('exit', resolve));
    await load.until((answers) => answers.slice(-CC_WORKERS - REFRESH_WORKERS).every((a) => a.status === 0), 15_000, 'only failed connections');
    const answers = await load.stop();

    const unanswered = answers.filter((answer) => answer.status === 0).length;
    // Nothing but 200s before the kill, and connection failures after it: never an error answer.
    expect(answers.filter((answer) => answer.status !== 200 && answer.status !== 0)).toEqual([]);
    const log = checkLog([...initial, ...answers], await tokenEvents(kafkaBrokers(), e2e.prefix), [DEMO_SERVICE.id, WEB_APP.id]);
    const refreshReceived = answers.filter((answer) => answer.status === 200 && answer.body.refresh_token).length;
    process.stderr.write(
      `[faults] kill -9 under load: ${summary(answers)}; tokens received ${log.received} (refresh rotations ${refreshReceived}), all logged: ${log.missing.length === 0}; ` +
        `over-reported access-token events ${log.overReported} (requests without an answer: ${unanswered})\n`,
    );
    expect(log.missing).toEqual([]);
    expect(log.overReported).toBeLessThanOrEqual(unanswered);

    // A new process serves the same families: each worker's last refresh token rotates (or, if its
    // rotation was committed but never answered, is a reuse: never a 5xx).
    const restarted = await startServiceProcess('token', env);
    services.push(restarted);
    for (const value of refreshTokens) {
      const answer = await postForm(`${restarted.url}/token`, { grant_type: 'refresh_token', refresh_token: value }, basic(WEB_APP));
      expect([200, 400]).toContain(answer.status);
      if (answer.status === 400) expect(answer.body).toEqual({ error: 'invalid_grant', error_description: 'the refresh token is invalid, expired or revoked' });
    }
    expect(errorLines(restarted)).toEqual([]);
  }, 240_000);
});
