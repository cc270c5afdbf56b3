/**
 * Fault tolerance, scenario 3: the projector (in the revocation service) killed with SIGKILL while
 * events flow, then started again, on the shared Kafka, PostgreSQL and Redis. Tokens are issued and
 * revoked throughout; after the restart catches up, every projection table equals a rebuild from offset
 * 0 (rebuildProjection): no row lost, doubled or different.
 */
import { AUDITED_TOPICS } from '@authz/projections';
import { DEMO_SERVICE, basic } from '../grants-protocol';
import { adminQuery, cleanupRun, createRunDatabase, e2eRun, kafkaBrokers, serviceEnv } from '../environment';
import { type RunningService, startServiceProcess, stopServiceProcess } from '../service-process';
import { errorLines, Load, postForm, projectedAccessTokens, rebuildAndCompare, summary, tokenEvents } from './fault-harness';

const e2e = e2eRun('faults-projector');
const services: RunningService[] = [];

beforeAll(async () => {
  await createRunDatabase(e2e);
}, 60_000);

afterAll(async () => {
  await Promise.all(services.map(stopServiceProcess));
  await cleanupRun(e2e);
}, 60_000);

describe('the projector restarted mid-stream', () => {
  it('after catching up, the projections equal a rebuild from offset 0', async () => {
    const env = serviceEnv(e2e, { ISSUER: 'https://issuer.faults-projector.e2e.test', LOG_LEVEL: 'warn' });
    const token = await startServiceProcess('token', env);
    services.push(token);
    let revocation = await startServiceProcess('revocation', env);
    services.push(revocation);

    const CC_WORKERS = 4;
    const load = new Load(CC_WORKERS + 2, async (worker) => {
      // Paced: the restart takes ~20 s (the dead member's session must expire), events keep flowing meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const issued = await postForm(`${token.url}/token`, { grant_type: 'client_credentials' }, basic(DEMO_SERVICE), 10_000);
      // Two workers revoke each token they get (oauth.access_token.revoked.v1 → the revocations projection);
      // while the revocation service is down their revocations fail, and nothing is asserted of them.
      if (worker >= CC_WORKERS && issued.status === 200) await postForm(`${revocation.url}/revoke`, { token: issued.body.access_token as string }, basic(DEMO_SERVICE), 10_000);
      return issued;
    });
    await load.until((answers) => answers.filter((a) => a.status === 200).length >= 100, 60_000, '100 tokens');

    revocation.process.kill('SIGKILL');
    await new Promise((resolve) => revocation.process.once('exit', resolve));
    const killedAt = performance.now();
    await load.until((answers) => answers.filter((a) => a.status === 200 && a.at > killedAt).length >= 50, 60_000, '50 tokens while the projector is down');
    revocation = await startServiceProcess('revocation', env);
    services.push(revocation);
    const restartedAt = performance.now();
    const restartMs = restartedAt - killedAt;
    await load.until((answers) => answers.filter((a) => a.status === 200 && a.at > restartedAt).length >= 50, 60_000, '50 tokens after the restart');
    const answers = await load.stop();
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);

    const events = await tokenEvents(kafkaBrokers(), e2e.prefix);
    const issuedEvents = events.filter((event) => event.type === 'oauth.access_token.issued.v1').length;
    const catchUpMs = await projectedAccessTokens(e2e.databaseUrl, issuedEvents, 60_000);
    const revokedEvents = (await tokenEvents(kafkaBrokers(), e2e.prefix, 'oauth.revocations')).filter((event) => event.type === 'oauth.access_token.revoked.v1').length;
    const revokedRows = async () => Number((await adminQuery<{ n: string }>('SELECT count(*)::text AS n FROM revocations', [], e2e.databaseUrl))[0]!.n);
    for (let turn = 0; turn < 300 && (await revokedRows()) < revokedEvents; turn += 1) await new Promise((resolve) => setTimeout(resolve, 100));
    process.stderr.write(
      `[faults] projector kill -9 and restart: ${summary(answers)}; ${issuedEvents} issued and ${revokedEvents} revoked events; ` +
        `down ${restartMs.toFixed(0)} ms (kill to ready again); caught up ${catchUpMs.toFixed(0)} ms after the load ended\n`,
    );

    const comparisons = await rebuildAndCompare(e2e.databaseUrl, kafkaBrokers(), e2e.prefix);
    for (const { table, live, rebuilt } of comparisons) expect({ table, rows: live }).toEqual({ table, rows: rebuilt });
    const sizes = Object.fromEntries(comparisons.map(({ table, live }) => [table, live.length]));
    // The audit index holds one row per event of every audited topic (tokens, revocations, keys…).
    let auditedEvents = 0;
    for (const topic of AUDITED_TOPICS) auditedEvents += (await tokenEvents(kafkaBrokers(), e2e.prefix, topic)).length;
    expect(sizes).toEqual({ access_tokens: issuedEvents, audit_events: auditedEvents, consents: 0, revocations: revokedEvents });
    expect(revokedEvents).toBeGreaterThan(10);
    for (const service of [token, revocation]) expect(errorLines(service)).toEqual([]);
  }, 240_000);
});
