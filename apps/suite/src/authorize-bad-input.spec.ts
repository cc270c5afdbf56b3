/**
 * The hostile-request table of the authorization endpoint (libs/testing/src/authorize-bad-input.cases.ts)
 * against the all-in-one suite (embedded mode, LDIF users, in-process identity), driven with inject.
 * The same table runs against the distributed authorize service in authorization-code-flow.int-spec.ts.
 */
import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp, loadSettings } from '@authz/platform';
import { silentLogger } from '@authz/ports';
import { AUTHORIZE_BAD_INPUT_CASES, injectTransport, runBadInputCase } from '@authz/testing';
import { SuiteAppModule } from './app.module';

const ISSUER = 'https://issuer.test';
let app: NestFastifyApplication;

beforeAll(async () => {
  const settings = loadSettings('suite', {}, { MODE: 'embedded', ISSUER, LOG_LEVEL: 'silent' });
  app = await createHttpApp(SuiteAppModule.create(settings, silentLogger), silentLogger);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
}, 60_000);

afterAll(async () => {
  await app?.close();
});

describe('the authorization endpoint under hostile input (all-in-one suite)', () => {
  it.each(AUTHORIZE_BAD_INPUT_CASES.map((testCase) => [testCase.name, testCase] as const))('%s', async (_name, testCase) => {
    const { actual, expected } = await runBadInputCase(testCase, injectTransport(app), ISSUER);
    expect(actual).toEqual(expected);
  });
});
