import { createHash, randomBytes } from 'node:crypto';
import { RedisTtlStore, TtlAuthorizationCodeStore } from '@authz/adapters';
import { type AuthorizationCodeGrant, sha256Hash } from '@authz/oauth';
import { systemClock } from '@authz/ports';
import { WEB_APP } from './grants-protocol';

/** web-app's redirect URI in the e2e clients file. */
export const WEB_REDIRECT = 'http://localhost:3000/callback';

/** An authorization code for alice at web-app, saved where the authorize service would; returns what redeeming it sends. */
export async function seedCode(redisUrl: string, redisPrefix: string): Promise<{ form: Record<string, string>; grantId: string }> {
  const code = randomBytes(16).toString('base64url');
  const verifier = randomBytes(32).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const grant: AuthorizationCodeGrant = {
    grantId: `grant-${randomBytes(8).toString('hex')}`,
    clientId: WEB_APP.id,
    redirectUri: WEB_REDIRECT,
    scopes: ['openid', 'api:read'],
    subject: 'alice',
    authTime: now - 5,
    codeChallenge: createHash('sha256').update(verifier).digest('base64url'),
    codeChallengeMethod: 'S256',
    issuedAt: now,
    expiresAt: now + 60,
  };
  const store = new RedisTtlStore({ url: redisUrl, keyPrefix: redisPrefix });
  try {
    await new TtlAuthorizationCodeStore({ store, clock: systemClock }).save(sha256Hash(code), grant);
  } finally {
    await store.close();
  }
  return { form: { grant_type: 'authorization_code', code, redirect_uri: WEB_REDIRECT, code_verifier: verifier }, grantId: grant.grantId };
}
