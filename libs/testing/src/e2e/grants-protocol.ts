/**
 * The grants' protocol tests as one table, run against the distributed token service (real Kafka,
 * PostgreSQL, Redis, slapd: grants.int-spec.ts) and against the all-in-one suite in its embedded mode
 * (apps/suite/src/grants-protocol.spec.ts). Each case asserts the whole RFC body, the headers
 * RFC 6749 §5.1 requires, the access token's RFC 9068 claims and the events of the grant.
 * Codes are seeded straight into the code store (the authorize service writes them in production).
 */
import { createHash, randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import type { Envelope } from '@authz/contracts';
import type { AuthorizationCodeGrant } from '@authz/oauth';

export type TokenAnswer = { status: number; cacheControl: string | undefined; pragma: string | undefined; body: Record<string, unknown> };

export type GrantsEndpoint = {
  /** POST /token with a form body (a value given as an array is sent as repeated parameters). */
  token(body: Record<string, string | string[]>, authorization?: string): Promise<TokenAnswer>;
  /** Saves a code in the code store the token service redeems from. */
  seedCode(code: string, grant: AuthorizationCodeGrant): Promise<void>;
  /** The events whose subject is `grantId` on oauth.tokens, in log order, once at least `count` are there. */
  events(grantId: string, count: number): Promise<Envelope[]>;
};

export type GrantsTarget = {
  issuer: string;
  /** REFRESH_GRACE_SECONDS=0 (the default). */
  standard: GrantsEndpoint;
  /** REFRESH_GRACE_SECONDS=10. */
  grace: GrantsEndpoint;
};

export const WEB_APP = { id: 'web-app', secret: 'OTSeU3LY8wciN-jEkP-jZ4LnzfjIvZOA_qRHOUqhnGY' };
export const LEGACY_APP = { id: 'legacy-app', secret: 'dMZlp1jnMSwy4utWUVGvLE5pLzsd5ERr94xZkfH2gNA' };
export const DEMO_SERVICE = { id: 'demo-service', secret: 'hXLTXDHb4b3fKjeB8OsWXm2XynVB-aPOV97xv29iCfU' };
export const basic = (client: { id: string; secret: string }) => `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}`;

const WEB_REDIRECT = 'http://localhost:3000/callback';
const SPA_REDIRECT = 'http://localhost:5173/callback';
const API = 'https://api.example.org';
const REPORTS = 'https://reports.example.org';
const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/;
const JTI = /^[A-Za-z0-9_-]{22}$/;
const sha256 = (value: string) => `sha256:${createHash('sha256').update(value).digest('base64url')}`;

/** application/x-www-form-urlencoded, an array value as repeated parameters (RFC 8707 `resource`). */
export function formBody(fields: Record<string, string | string[]>): string {
  const form = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) for (const item of Array.isArray(value) ? value : [value]) form.append(name, item);
  return form.toString();
}

export function pkcePair() {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

export function describeGrantsProtocol(name: string, open: () => GrantsTarget): void {
  describe(`grants protocol: ${name}`, () => {
    let target: GrantsTarget;
    beforeAll(() => {
      target = open();
    });

    /** Seeds a code for web-app (or `overrides`) and returns what redeeming it needs. */
    async function seeded(endpoint: GrantsEndpoint, overrides: Partial<AuthorizationCodeGrant> = {}) {
      const code = randomBytes(16).toString('base64url');
      const { verifier, challenge } = pkcePair();
      const now = nowSeconds();
      const grant: AuthorizationCodeGrant = {
        grantId: `grant-${randomBytes(8).toString('hex')}`,
        clientId: WEB_APP.id,
        redirectUri: WEB_REDIRECT,
        scopes: ['openid', 'api:read'],
        subject: 'alice',
        authTime: now - 5,
        codeChallenge: challenge,
        codeChallengeMethod: 'S256',
        issuedAt: now,
        expiresAt: now + 60,
        ...overrides,
      };
      await endpoint.seedCode(code, grant);
      return { code, verifier, grant, form: { grant_type: 'authorization_code', code, redirect_uri: grant.redirectUri ?? WEB_REDIRECT, code_verifier: verifier } };
    }

    async function redeem(endpoint: GrantsEndpoint) {
      const { form, grant } = await seeded(endpoint);
      const answer = await endpoint.token(form, basic(WEB_APP));
      expect(answer.status).toBe(200);
      return { grant, refreshToken: answer.body.refresh_token as string };
    }

    const refusal = (error: string, description: string, status = 400): TokenAnswer => ({
      status,
      cacheControl: 'no-store',
      pragma: 'no-cache',
      body: { error, error_description: description },
    });

    describe('authorization_code (RFC 6749 §4.1.3, RFC 7636)', () => {
      it('answers exactly RFC 6749 §5.1 with an RFC 9068 access token and a refresh token, and records the grant', async () => {
        const { form, grant } = await seeded(target.standard);

        const answer = await target.standard.token(form, basic(WEB_APP));

        expect(answer).toEqual({
          status: 200,
          cacheControl: 'no-store',
          pragma: 'no-cache',
          body: { access_token: expect.any(String), token_type: 'Bearer', expires_in: 600, refresh_token: expect.stringMatching(REFRESH_TOKEN), scope: 'openid api:read' },
        });
        const accessToken = answer.body.access_token as string;
        expect(decodeProtectedHeader(accessToken)).toEqual({ alg: 'ES256', typ: 'at+jwt', kid: expect.any(String) });
        const claims = decodeJwt(accessToken);
        expect(claims).toEqual({
          iss: target.issuer,
          exp: (claims.iat as number) + 600,
          aud: [API, REPORTS],
          sub: 'alice',
          client_id: 'web-app',
          iat: expect.any(Number),
          jti: expect.stringMatching(JTI),
          scope: 'openid api:read',
          grant_id: grant.grantId,
          auth_time: grant.authTime,
        });

        const events = await target.standard.events(grant.grantId, 3);
        expect(events.map(({ type, subject, data }) => ({ type, subject, data }))).toEqual([
          {
            type: 'oauth.access_token.issued.v1',
            subject: grant.grantId,
            data: {
              jti: claims.jti,
              grantId: grant.grantId,
              grantType: 'authorization_code',
              clientId: 'web-app',
              sub: 'alice',
              scope: 'openid api:read',
              audience: [API, REPORTS],
              issuedAt: claims.iat,
              expiresAt: claims.exp,
              tokenHash: sha256(accessToken),
            },
          },
          {
            type: 'oauth.refresh_token.issued.v1',
            subject: grant.grantId,
            data: {
              familyId: expect.stringMatching(JTI),
              grantId: grant.grantId,
              grantType: 'authorization_code',
              clientId: 'web-app',
              sub: 'alice',
              scope: 'openid api:read',
              audience: [API, REPORTS],
              authTime: grant.authTime,
              generation: 0,
              tokenHash: sha256(answer.body.refresh_token as string),
              issuedAt: expect.any(Number),
              expiresAt: expect.any(Number),
              idleExpiresAt: expect.any(Number),
            },
          },
          {
            type: 'oauth.authorization_code.redeemed.v1',
            subject: grant.grantId,
            data: { codeHash: sha256(form.code), grantId: grant.grantId, clientId: 'web-app', sub: 'alice', redeemedAt: expect.any(Number) },
          },
        ]);
        const issued = events[1]!.data as { issuedAt: number; expiresAt: number; idleExpiresAt: number };
        expect([issued.expiresAt - issued.issuedAt, issued.idleExpiresAt - issued.issuedAt]).toEqual([2_592_000, 1_209_600]);
      });

      it('refuses a second redemption and revokes the grant: the refresh token of the first is dead (RFC 6749 §4.1.2)', async () => {
        const { form, grant } = await seeded(target.standard);
        const first = await target.standard.token(form, basic(WEB_APP));
        expect(first.status).toBe(200);

        expect(await target.standard.token(form, basic(WEB_APP))).toEqual(refusal('invalid_grant', 'the authorization code is invalid, expired or already used'));
        const events = await target.standard.events(grant.grantId, 4);
        const revokedAt = (events[3]?.data as { revokedAt?: number } | undefined)?.revokedAt;
        // A code replay names the client only: its tokens are covered for the longest lifetime any may have.
        expect(events.slice(3).map(({ type, data }) => ({ type, data }))).toEqual([
          { type: 'oauth.grant.revoked.v1', data: { grantId: grant.grantId, clientId: 'web-app', subject: 'alice', reason: 'code_replay', revokedAt: expect.any(Number), coversUntil: revokedAt! + 86_400 } },
        ]);
        expect(await target.standard.token({ grant_type: 'refresh_token', refresh_token: first.body.refresh_token as string }, basic(WEB_APP))).toEqual(
          refusal('invalid_grant', 'the refresh token is invalid, expired or revoked'),
        );
      });

      it('serves a public client with PKCE, and narrows the audience to the requested resource (RFC 8707)', async () => {
        const { form } = await seeded(target.standard, { clientId: 'spa', redirectUri: SPA_REDIRECT, scopes: ['api:read'] });

        const answer = await target.standard.token({ ...form, client_id: 'spa', resource: API });

        expect(answer).toEqual({
          status: 200,
          cacheControl: 'no-store',
          pragma: 'no-cache',
          body: { access_token: expect.any(String), token_type: 'Bearer', expires_in: 600, refresh_token: expect.stringMatching(REFRESH_TOKEN), scope: 'api:read' },
        });
        expect(decodeJwt(answer.body.access_token as string)).toMatchObject({ aud: API, client_id: 'spa', sub: 'alice' });
      });

      it.each([
        ['a wrong code_verifier', { code_verifier: 'x'.repeat(43) }, 'invalid_grant', 'PKCE verification failed'],
        ['another redirect_uri', { redirect_uri: 'http://localhost:3000/other' }, 'invalid_grant', 'redirect_uri does not match the authorization request'],
        ['a resource outside the client', { resource: 'https://evil.example.org' }, 'invalid_target', 'the client may not obtain a token for: https://evil.example.org'],
        ['a resource with a fragment', { resource: 'https://api.example.org/#x' }, 'invalid_target', 'a resource must be an absolute URI without a fragment'],
        ['a malformed code_verifier', { code_verifier: 'short' }, 'invalid_request', 'code_verifier must be 43 to 128 unreserved characters (RFC 7636 section 4.1)'],
      ])('refuses %s', async (_case, change, error, description) => {
        const { form } = await seeded(target.standard);
        expect(await target.standard.token({ ...form, ...change }, basic(WEB_APP))).toEqual(refusal(error, description));
      });

      it('refuses a code issued to another client, an unknown code, and a client not registered for the grant', async () => {
        const { form } = await seeded(target.standard, { clientId: 'spa', redirectUri: SPA_REDIRECT });
        expect(await target.standard.token({ ...form, redirect_uri: SPA_REDIRECT }, basic(WEB_APP))).toEqual(refusal('invalid_grant', 'the authorization code was issued to another client'));
        expect(await target.standard.token({ ...form, code: 'never-issued' }, basic(WEB_APP))).toEqual(refusal('invalid_grant', 'the authorization code is invalid, expired or already used'));
        expect(await target.standard.token(form, basic(DEMO_SERVICE))).toEqual(refusal('unauthorized_client', 'the client is not registered for the authorization_code grant'));
        expect(await target.standard.token({ ...form, grant_type: 'urn:example:unknown' }, basic(WEB_APP))).toEqual(
          refusal('unsupported_grant_type', "grant_type 'urn:example:unknown' is not supported"),
        );
      });
    });

    describe('refresh_token (RFC 6749 §6, RFC 9700 §4.14.2)', () => {
      it('rotates on every use; a narrowed scope is granted and not repeated; a wider one is invalid_scope', async () => {
        const { grant, refreshToken } = await redeem(target.standard);

        const rotated = await target.standard.token({ grant_type: 'refresh_token', refresh_token: refreshToken, scope: 'api:read' }, basic(WEB_APP));
        expect(rotated).toEqual({
          status: 200,
          cacheControl: 'no-store',
          pragma: 'no-cache',
          body: { access_token: expect.any(String), token_type: 'Bearer', expires_in: 600, refresh_token: expect.stringMatching(REFRESH_TOKEN) },
        });
        const child = rotated.body.refresh_token as string;
        expect(child).not.toBe(refreshToken);
        expect(decodeJwt(rotated.body.access_token as string)).toMatchObject({ sub: 'alice', scope: 'api:read', auth_time: grant.authTime, aud: [API, REPORTS] });

        expect(await target.standard.token({ grant_type: 'refresh_token', refresh_token: child, scope: 'openid api:write' }, basic(WEB_APP))).toEqual(
          refusal('invalid_scope', 'scope beyond the original grant: api:write'),
        );
        // The refused request changed nothing: the child still rotates, to the original scope.
        const again = await target.standard.token({ grant_type: 'refresh_token', refresh_token: child }, basic(WEB_APP));
        expect(again.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 600, refresh_token: expect.stringMatching(REFRESH_TOKEN), scope: 'openid api:read' });

        const events = await target.standard.events(grant.grantId, 7);
        const rotations = events.filter((event) => event.type === 'oauth.refresh_token.rotated.v1').map((event) => event.data);
        expect(rotations).toEqual([
          expect.objectContaining({ parentTokenHash: sha256(refreshToken), generation: 1, tokenHash: sha256(child) }),
          expect.objectContaining({ parentTokenHash: sha256(child), generation: 2, tokenHash: sha256(again.body.refresh_token as string) }),
        ]);
      });

      it('revokes the whole family when a rotated token comes back, and records the reuse', async () => {
        const { grant, refreshToken } = await redeem(target.standard);
        const rotated = await target.standard.token({ grant_type: 'refresh_token', refresh_token: refreshToken }, basic(WEB_APP));
        const child = rotated.body.refresh_token as string;

        expect(await target.standard.token({ grant_type: 'refresh_token', refresh_token: refreshToken }, basic(WEB_APP))).toEqual(
          refusal('invalid_grant', 'the refresh token is invalid, expired or revoked'),
        );
        expect(await target.standard.token({ grant_type: 'refresh_token', refresh_token: child }, basic(WEB_APP))).toEqual(
          refusal('invalid_grant', 'the refresh token is invalid, expired or revoked'),
        );
        const events = await target.standard.events(grant.grantId, 7);
        // Two topics (oauth.tokens, oauth.revocations): no order between them, so sorted by type.
        const last = events.slice(5).sort((a, b) => b.type.localeCompare(a.type));
        const revokedAt = (last[1]?.data as { revokedAt?: number } | undefined)?.revokedAt;
        expect(last.map(({ type, subject, data }) => ({ type, subject, data }))).toEqual([
          {
            type: 'oauth.refresh_token.reuse_detected.v1',
            subject: grant.grantId,
            data: {
              familyId: expect.stringMatching(JTI),
              grantId: grant.grantId,
              clientId: 'web-app',
              presentedTokenHash: sha256(refreshToken),
              presentedGeneration: 0,
              currentGeneration: 1,
              detectedAt: expect.any(Number),
            },
          },
          // Covered for web-app's access token lifetime (600 s): no token of a revoked grant outlives it.
          {
            type: 'oauth.grant.revoked.v1',
            subject: grant.grantId,
            data: { grantId: grant.grantId, clientId: 'web-app', subject: 'alice', reason: 'refresh_token_reuse', revokedAt: expect.any(Number), coversUntil: revokedAt! + 600 },
          },
        ]);
      });

      it('refuses an unknown refresh token, another client’s, and a missing one', async () => {
        const { refreshToken } = await redeem(target.standard);
        expect(await target.standard.token({ grant_type: 'refresh_token', refresh_token: 'x'.repeat(43) }, basic(WEB_APP))).toEqual(
          refusal('invalid_grant', 'the refresh token is invalid, expired or revoked'),
        );
        expect(await target.standard.token({ grant_type: 'refresh_token', refresh_token: refreshToken, client_id: 'spa' })).toEqual(
          refusal('invalid_grant', 'the refresh token is invalid, expired or revoked'),
        );
        expect(await target.standard.token({ grant_type: 'refresh_token' }, basic(WEB_APP))).toEqual(refusal('invalid_request', "parameter 'refresh_token' is missing"));
      });

      it('without a grace window, of 10 parallel refreshes of one token exactly one succeeds', async () => {
        const { refreshToken } = await redeem(target.standard);

        const answers = await Promise.all(Array.from({ length: 10 }, () => target.standard.token({ grant_type: 'refresh_token', refresh_token: refreshToken }, basic(WEB_APP))));

        expect(answers.map((answer) => answer.status).sort()).toEqual([200, ...Array<number>(9).fill(400)]);
      });

      it('within the grace window, a retry of the parent gets the same child (and a fresh access token)', async () => {
        const { grant, refreshToken } = await redeem(target.grace);
        const first = await target.grace.token({ grant_type: 'refresh_token', refresh_token: refreshToken }, basic(WEB_APP));
        const retry = await target.grace.token({ grant_type: 'refresh_token', refresh_token: refreshToken }, basic(WEB_APP));

        expect(retry).toEqual({ status: 200, cacheControl: 'no-store', pragma: 'no-cache', body: { ...first.body, access_token: expect.any(String) } });
        expect(retry.body.refresh_token).toBe(first.body.refresh_token);
        expect(retry.body.access_token).not.toBe(first.body.access_token);
        const events = await target.grace.events(grant.grantId, 6);
        expect(events.map((event) => event.type)).toEqual([
          'oauth.access_token.issued.v1',
          'oauth.refresh_token.issued.v1',
          'oauth.authorization_code.redeemed.v1',
          'oauth.access_token.issued.v1',
          'oauth.refresh_token.rotated.v1',
          'oauth.access_token.issued.v1',
        ]);
      });

      it('within the grace window, 10 parallel refreshes of one token all get the same child', async () => {
        const { refreshToken } = await redeem(target.grace);

        const answers = await Promise.all(Array.from({ length: 10 }, () => target.grace.token({ grant_type: 'refresh_token', refresh_token: refreshToken }, basic(WEB_APP))));

        expect(answers.map((answer) => answer.status)).toEqual(Array<number>(10).fill(200));
        expect(new Set(answers.map((answer) => answer.body.refresh_token)).size).toBe(1);
        expect(new Set(answers.map((answer) => answer.body.access_token)).size).toBe(10);
      });
    });

    describe('password (RFC 6749 §4.3), client_credentials (RFC 6749 §4.4)', () => {
      it('issues tokens to a legacy client registered for password, for the user the directory authenticated', async () => {
        const answer = await target.standard.token({ grant_type: 'password', username: 'alice', password: 'alice-password' }, basic(LEGACY_APP));

        expect(answer).toEqual({
          status: 200,
          cacheControl: 'no-store',
          pragma: 'no-cache',
          body: { access_token: expect.any(String), token_type: 'Bearer', expires_in: 600, refresh_token: expect.stringMatching(REFRESH_TOKEN), scope: 'api:read' },
        });
        const claims = decodeJwt(answer.body.access_token as string);
        expect(claims).toEqual({
          iss: target.issuer,
          exp: (claims.iat as number) + 600,
          aud: API,
          sub: 'alice',
          client_id: 'legacy-app',
          iat: expect.any(Number),
          jti: expect.stringMatching(JTI),
          scope: 'api:read',
          grant_id: expect.stringMatching(JTI),
          auth_time: expect.any(Number),
        });
        const refreshed = await target.standard.token({ grant_type: 'refresh_token', refresh_token: answer.body.refresh_token as string, scope: 'api:read' }, basic(LEGACY_APP));
        expect(refreshed.status).toBe(200);
      });

      it('answers invalid_grant to a wrong password or an unknown user (the same answer), unauthorized_client to a client not registered for it', async () => {
        expect(await target.standard.token({ grant_type: 'password', username: 'bob', password: 'wrong-password' }, basic(LEGACY_APP))).toEqual(
          refusal('invalid_grant', 'the resource owner credentials are invalid'),
        );
        expect(await target.standard.token({ grant_type: 'password', username: 'nobody', password: 'wrong-password' }, basic(LEGACY_APP))).toEqual(
          refusal('invalid_grant', 'the resource owner credentials are invalid'),
        );
        expect(await target.standard.token({ grant_type: 'password', username: 'alice', password: 'alice-password' }, basic(WEB_APP))).toEqual(
          refusal('unauthorized_client', 'the client is not registered for the password grant'),
        );
      });

      it('serves client_credentials without a refresh token, the audience from resource, scope omitted when as requested', async () => {
        const answer = await target.standard.token({ grant_type: 'client_credentials', scope: 'api:read api:write', resource: [API] }, basic(DEMO_SERVICE));

        expect(answer).toEqual({ status: 200, cacheControl: 'no-store', pragma: 'no-cache', body: { access_token: expect.any(String), token_type: 'Bearer', expires_in: 600 } });
        expect(decodeJwt(answer.body.access_token as string)).toMatchObject({ sub: 'demo-service', aud: API, scope: 'api:read api:write' });
        expect(await target.standard.token({ grant_type: 'client_credentials', resource: 'https://reports.example.org' }, basic(DEMO_SERVICE))).toEqual(
          refusal('invalid_target', 'the client may not obtain a token for: https://reports.example.org'),
        );
      });
    });
  });
}
