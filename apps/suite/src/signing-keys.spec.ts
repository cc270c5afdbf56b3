/**
 * Signing keys through the HTTP surface of the all-in-one suite (embedded: PGlite, in-process bus):
 * GET /jwks carries the configured Cache-Control lifetime, and each selectable algorithm signs tokens
 * that the JWK Set verifies and introspection answers as active.
 */
import 'reflect-metadata';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { decodeJwt, decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import { createHttpApp, loadSettings } from '@authz/platform';
import { silentLogger } from '@authz/ports';
import { SuiteAppModule } from './app.module';

jest.setTimeout(60_000);

const ISSUER = 'https://issuer.test';
const FORM = 'application/x-www-form-urlencoded';
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
const SERVICE_BASIC = basic('demo-service', 'hXLTXDHb4b3fKjeB8OsWXm2XynVB-aPOV97xv29iCfU');
const API_BASIC = basic('demo-api', 'NXdUMeRqpujwl3Juolw-rsg7DjvTO_7x0TSjZJYtPLU');

const MEMBERS = {
  ES256: { kty: 'EC', crv: 'P-256', x: expect.any(String), y: expect.any(String) },
  EdDSA: { kty: 'OKP', crv: 'Ed25519', x: expect.any(String) },
  RS256: { kty: 'RSA', n: expect.any(String), e: 'AQAB' },
  PS256: { kty: 'RSA', n: expect.any(String), e: 'AQAB' },
} as const;

describe.each([
  ['ES256', '60'],
  ['EdDSA', '0'],
  ['RS256', '300'],
  ['PS256', '86400'],
] as const)('the suite with SIGNING_KEY_ALG=%s and JWKS_MAX_AGE=%s', (alg, maxAge) => {
  let app: NestFastifyApplication;

  beforeAll(async () => {
    const settings = loadSettings('suite', {}, { MODE: 'embedded', ISSUER, LOG_LEVEL: 'silent', SIGNING_KEY_ALG: alg, JWKS_MAX_AGE: maxAge });
    app = await createHttpApp(SuiteAppModule.create(settings, silentLogger), silentLogger);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app?.close();
  });

  it('GET /jwks: the key, the JWK Set media type and Cache-Control max-age of the setting; the key verifies a token and introspection answers it active', async () => {
    const response = await app.inject({ method: 'GET', url: '/jwks' });
    const jwks = response.json() as { keys: Array<Record<string, string>> };
    expect({ status: response.statusCode, contentType: response.headers['content-type'], cacheControl: response.headers['cache-control'], body: jwks }).toEqual({
      status: 200,
      contentType: 'application/jwk-set+json; charset=utf-8',
      cacheControl: `public, max-age=${maxAge}`,
      body: { keys: [{ ...MEMBERS[alg], kid: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), alg, use: 'sig' }] },
    });

    const issued = await app.inject({ method: 'POST', url: '/token', headers: { 'content-type': FORM, authorization: SERVICE_BASIC }, payload: 'grant_type=client_credentials' });
    expect(issued.statusCode).toBe(200);
    const accessToken = (issued.json() as { access_token: string }).access_token;
    const [key] = jwks.keys;
    expect(decodeProtectedHeader(accessToken)).toStrictEqual({ alg, typ: 'at+jwt', kid: key!.kid });
    const { payload } = await jwtVerify(accessToken, await importJWK(key!, alg), { issuer: ISSUER, typ: 'at+jwt', algorithms: [alg] });
    expect(payload).toStrictEqual(decodeJwt(accessToken));

    const introspection = await app.inject({ method: 'POST', url: '/introspect', headers: { 'content-type': FORM, authorization: API_BASIC }, payload: `token=${accessToken}` });
    expect(introspection.json()).toMatchObject({ active: true, jti: payload.jti, client_id: 'demo-service' });
  });
});
