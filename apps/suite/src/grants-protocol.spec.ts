/**
 * The grants' protocol table (libs/testing grants-protocol.ts) against the all-in-one suite in its
 * embedded mode, in this process: in-process bus, PGlite, in-memory code store, LDIF users. The same
 * table runs against the distributed token service in libs/testing/src/e2e/grants.int-spec.ts.
 */
import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { MemoryEventBus } from '@authz/adapters';
import { deserializeEnvelope, Topics } from '@authz/contracts';
import { sha256Hash } from '@authz/oauth';
import { createHttpApp, loadSettings } from '@authz/platform';
import { AUTHORIZATION_CODE_STORE, type AuthorizationCodeStore, EVENT_PUBLISHER, silentLogger } from '@authz/ports';
import { describeGrantsProtocol, formBody, type GrantsEndpoint } from '@authz/testing';
import { SuiteAppModule } from './app.module';

const ISSUER = 'https://issuer.test';
const apps: NestFastifyApplication[] = [];
const endpoints: Record<'standard' | 'grace', GrantsEndpoint> = {} as never;

async function embeddedSuite(graceSeconds: number): Promise<GrantsEndpoint> {
  const settings = loadSettings('suite', {}, { MODE: 'embedded', ISSUER, LOG_LEVEL: 'silent', REFRESH_GRACE_SECONDS: String(graceSeconds) });
  const app = await createHttpApp(SuiteAppModule.create(settings, silentLogger), silentLogger);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  apps.push(app);
  const codes = app.get<AuthorizationCodeStore>(AUTHORIZATION_CODE_STORE);
  const bus = app.get<MemoryEventBus>(EVENT_PUBLISHER);
  return {
    async token(body, authorization) {
      const response = await app.inject({
        method: 'POST',
        url: '/token',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...(authorization ? { authorization } : {}) },
        payload: formBody(body),
      });
      const header = (name: string) => response.headers[name] as string | undefined;
      return { status: response.statusCode, cacheControl: header('cache-control'), pragma: header('pragma'), body: response.json() };
    },
    seedCode: (code, grant) => codes.save(sha256Hash(code), grant),
    async events(grantId) {
      // The in-process bus has appended every acknowledged event by the time the response was sent.
      // A grant's revocations are on oauth.revocations; they come after its other events here.
      return [...bus.readTopic(Topics.tokens), ...bus.readTopic(Topics.revocations)]
        .map((record) => deserializeEnvelope(record.value))
        .filter((event) => event.subject === grantId);
    },
  };
}

beforeAll(async () => {
  endpoints.standard = await embeddedSuite(0);
  endpoints.grace = await embeddedSuite(10);
}, 120_000);

afterAll(async () => {
  await Promise.all(apps.map((app) => app.close()));
});

describeGrantsProtocol('the all-in-one suite (embedded mode)', () => ({ issuer: ISSUER, standard: endpoints.standard, grace: endpoints.grace }));
