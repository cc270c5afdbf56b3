/**
 * Fault tolerance, scenario 5: PostgreSQL down. A cluster of the test's own (initdb in a temporary
 * directory), stopped the hard way (`pg_ctl stop -m immediate`) under load and started again; the
 * shared Kafka and Redis. What each grant does meanwhile is asserted exactly: client_credentials keeps
 * working (the active signing key is in memory; the event goes to Kafka), authorization_code and
 * refresh_token need PostgreSQL (refresh families) and answer 503; readiness is 503. Nothing is a 500
 * or a hang. After PostgreSQL returns, the same processes serve again (a code whose redemption failed
 * on the outage is redeemable: it was put back), the projector catches up, and the projections equal a
 * rebuild from the log.
 */
import { REBUILDABLE_PROJECTIONS } from '@authz/projections';
import { DEMO_SERVICE, WEB_APP, basic } from '../grants-protocol';
import { cleanupRun, e2eRun, kafkaBrokers, serviceEnv } from '../environment';
import { type RunningService, startServiceProcess, stopServiceProcess } from '../service-process';
import { PostgresInstance } from './postgres-instance';
import { checkLog, errorLines, Load, outage, postForm, projectedAccessTokens, readiness, rebuildAndCompare, seedCode, summary, tokenEvents, UNAVAILABLE } from './fault-harness';

const e2e = e2eRun('faults-postgres');
const services: RunningService[] = [];
let postgres: PostgresInstance;

beforeAll(async () => {
  postgres = await PostgresInstance.create(e2e.database);
}, 120_000);

afterAll(async () => {
  await Promise.all(services.map(stopServiceProcess));
  await postgres?.destroy();
  await cleanupRun(e2e, { database: false });
}, 60_000);

describe('PostgreSQL down', () => {
  it('client_credentials goes on, code and refresh answer 503, readiness 503; afterwards everything serves again and the projections equal the log', async () => {
    const databaseUrl = postgres.url(e2e.database);
    const env = serviceEnv(e2e, { ISSUER: 'https://issuer.faults-postgres.e2e.test', LOG_LEVEL: 'warn', DATABASE_URL: databaseUrl });
    const token = await startServiceProcess('token', env);
    services.push(token);
    const revocation = await startServiceProcess('revocation', env);
    services.push(revocation);
    const tokenAt = (form: Record<string, string>, client: { id: string; secret: string }) => postForm(`${token.url}/token`, form, basic(client), 30_000);

    const first = await tokenAt((await seedCode(process.env.REDIS_URL!, e2e.redisPrefix)).form, WEB_APP);
    expect(first.status).toBe(200);
    const pendingCode = await seedCode(process.env.REDIS_URL!, e2e.redisPrefix);
    const load = new Load(4, () => tokenAt({ grant_type: 'client_credentials' }, DEMO_SERVICE));
    await load.until((answers) => answers.filter((a) => a.status === 200).length >= 50, 60_000, '50 tokens');

    await postgres.kill();
    const downAt = performance.now();
    const redeemed = await tokenAt(pendingCode.form, WEB_APP);
    const refreshed = await tokenAt({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string }, WEB_APP);
    const revoked = await postForm(`${revocation.url}/revoke`, { token: first.body.refresh_token as string }, basic(WEB_APP));
    const ready = await Promise.all([token, revocation].map((service) => readiness(service.url)));
    await load.until((answers) => answers.filter((a) => a.at > downAt + 2_000).length >= 50, 60_000, '50 answers during the outage');
    process.stderr.write(
      `[faults] PostgreSQL down: code ${redeemed.status} in ${redeemed.ms.toFixed(0)} ms, refresh ${refreshed.status} in ${refreshed.ms.toFixed(0)} ms, ` +
        `revoke ${revoked.status} in ${revoked.ms.toFixed(0)} ms; client_credentials during the outage ${summary(load.answers.filter((a) => a.at > downAt))}\n`,
    );
    expect(outage(redeemed)).toEqual(UNAVAILABLE);
    expect(outage(refreshed)).toEqual(UNAVAILABLE);
    expect(outage(revoked)).toEqual(UNAVAILABLE);
    expect(ready).toEqual([
      { status: 503, checks: expect.objectContaining({ postgres: 'down' }) },
      { status: 503, checks: expect.objectContaining({ postgres: 'down' }) },
    ]);
    expect(load.answers.filter((a) => a.at > downAt && a.status !== 200)).toEqual([]);

    await postgres.up();
    const upAt = performance.now();
    for (const service of [token, revocation]) {
      for (let turn = 0; turn < 300 && (await readiness(service.url)).status !== 200; turn += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const recoveryMs = performance.now() - upAt;
    await load.until((answers) => answers.filter((a) => a.status === 200 && a.at > upAt).length >= 50, 60_000, '50 tokens after the outage');
    const answers = await load.stop();
    process.stderr.write(`[faults] PostgreSQL back: both services ready ${recoveryMs.toFixed(0)} ms after it accepted connections (down ${(upAt - downAt).toFixed(0)} ms); load ${summary(answers)}\n`);
    expect(recoveryMs).toBeLessThan(15_000);
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(5_000);

    // The code whose redemption failed on the outage was put back: the client's retry is served.
    const retried = await tokenAt(pendingCode.form, WEB_APP);
    expect(retried.status).toBe(200);
    const rotated = await tokenAt({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string }, WEB_APP);
    expect(rotated.status).toBe(200);

    const events = await tokenEvents(kafkaBrokers(), e2e.prefix);
    const log = checkLog([first, ...answers, retried, rotated], events, [DEMO_SERVICE.id, WEB_APP.id]);
    expect(log.missing).toEqual([]);
    const issued = events.filter((event) => event.type === 'oauth.access_token.issued.v1').length;
    const catchUpMs = await projectedAccessTokens(databaseUrl, issued, 60_000);
    process.stderr.write(`[faults] PostgreSQL back: ${issued} access-token events, projected ${catchUpMs.toFixed(0)} ms after the load ended; over-reported ${log.overReported}\n`);
    // No over-report: the code redemption that failed on the outage published nothing (its access token's
    // event goes with the refresh family's, inside the family's transaction, which could not begin).
    expect(log.overReportedGrants).toEqual([]);
    // The live projections and the refresh families (command-side state whose every change is an event).
    const comparisons = await rebuildAndCompare(databaseUrl, kafkaBrokers(), e2e.prefix, REBUILDABLE_PROJECTIONS);
    for (const { table, live, rebuilt } of comparisons) expect({ table, rows: live }).toEqual({ table, rows: rebuilt });
    expect(comparisons.find(({ table }) => table === 'access_tokens')!.live.length).toBe(issued);
    for (const service of [token, revocation]) expect(errorLines(service)).toEqual([]);
  }, 240_000);
});
