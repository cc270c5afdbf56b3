import { createEnvelope, type DomainEvent, type Envelope } from '@authz/contracts';
import { computeAccessAt, type AccessAtT } from './access-at.fold';

const hash = (c: string) => `sha256:${c.repeat(43)}`;
let sequence = 0;
const event = (type: DomainEvent['type'], subject: string, data: object, atSeconds = 1000): Envelope =>
  createEnvelope({ type, subject, data } as DomainEvent, { source: 'urn:test', id: `e${++sequence}`, time: new Date(atSeconds * 1000) });

const T = 10_000;
const key = (kid: string, activatedAt: number) => event('oauth.signing_key.activated.v1', kid, { kid, alg: 'ES256', activatedAt });
const code = (grantId: string, issuedAt: number, expiresAt: number) =>
  event('oauth.authorization_code.issued.v1', grantId, { grantId, clientId: 'web', sub: 'alice', scope: 'api:read', redirectUri: 'https://app/cb', codeHash: hash('c'), pkceMethod: 'S256', authTime: issuedAt, issuedAt, expiresAt });
const redeemed = (grantId: string, redeemedAt: number) => event('oauth.authorization_code.redeemed.v1', grantId, { codeHash: hash('c'), grantId, clientId: 'web', sub: 'alice', redeemedAt });
const token = (grantId: string, jti: string, issuedAt: number, expiresAt: number, sub = 'alice', clientId = 'web') =>
  event('oauth.access_token.issued.v1', grantId, { jti, grantId, grantType: 'authorization_code', clientId, sub, scope: 'api:read', audience: ['https://api'], issuedAt, expiresAt, tokenHash: hash('t') });
const family = (grantId: string, familyId: string, issuedAt: number, expiresAt: number, idleExpiresAt: number) =>
  event('oauth.refresh_token.issued.v1', grantId, { familyId, grantId, grantType: 'authorization_code', clientId: 'web', sub: 'alice', scope: 'api:read offline_access', audience: ['https://api'], generation: 0, tokenHash: hash('r'), issuedAt, expiresAt, idleExpiresAt });
const rotated = (grantId: string, familyId: string, generation: number, rotatedAt: number, idleExpiresAt: number) =>
  event('oauth.refresh_token.rotated.v1', grantId, { familyId, grantId, clientId: 'web', parentTokenHash: hash('p'), generation, tokenHash: hash('q'), rotatedAt, idleExpiresAt });
const reuse = (grantId: string, familyId: string, detectedAt: number) =>
  event('oauth.refresh_token.reuse_detected.v1', grantId, { familyId, grantId, clientId: 'web', presentedTokenHash: hash('p'), presentedGeneration: 0, currentGeneration: 1, detectedAt });
const grantRevoked = (grantId: string, reason: string, revokedAt: number) => event('oauth.grant.revoked.v1', grantId, { grantId, clientId: 'web', reason, revokedAt });
const jtiRevoked = (grantId: string, jti: string, revokedAt: number, expiresAt: number) =>
  event('oauth.access_token.revoked.v1', grantId, { jti, grantId, clientId: 'web', sub: 'alice', reason: 'client_request', revokedAt, expiresAt });
const keyRevoked = (kid: string, revokedAt: number) => event('oauth.signing_key.revoked.v1', kid, { kid, revokedAt });

const tokenAt = (jti: string, issuedAt: number, expiresAt: number, kid: string | null = 'k1') => ({ jti, scope: 'api:read', audience: ['https://api'], issuedAt, expiresAt, kid });
const grantAt = (grantId: string, parts: Partial<AccessAtT['grants'][number]>) => ({ grantId, clientId: 'web', subject: 'alice', accessTokens: [], refreshFamilies: [], pendingCode: null, ...parts });

describe('computeAccessAt', () => {
  it('lists a token issued exactly at T and leaves out one expiring exactly at T (exp is exclusive)', () => {
    const log = [key('k1', 0), token('g1', 'j1', T, T + 300), token('g2', 'j2', T - 300, T), token('g3', 'j3', T + 1, T + 300)];
    expect(computeAccessAt(log, { user: 'alice' }, T)).toEqual({ at: T, party: { user: 'alice' }, grants: [grantAt('g1', { accessTokens: [tokenAt('j1', T, T + 300)] })] });
  });

  it('a grant revoked exactly at T gives nothing at T, everything at T - 1', () => {
    const log = [key('k1', 0), token('g1', 'j1', T - 100, T + 300), family('g1', 'f1', T - 100, T + 1000, T + 500), grantRevoked('g1', 'user_request', T)];
    expect(computeAccessAt(log, { user: 'alice' }, T).grants).toEqual([]);
    expect(computeAccessAt(log, { user: 'alice' }, T - 1).grants).toEqual([
      grantAt('g1', {
        accessTokens: [tokenAt('j1', T - 100, T + 300)],
        refreshFamilies: [{ familyId: 'f1', scope: 'api:read offline_access', generation: 0, issuedAt: T - 100, expiresAt: T + 1000, idleExpiresAt: T + 500 }],
      }),
    ]);
  });

  it('a jti revoked exactly at T is gone at T; its sibling lives on', () => {
    const log = [key('k1', 0), token('g1', 'j1', T - 100, T + 300), token('g1', 'j2', T - 50, T + 300), jtiRevoked('g1', 'j1', T, T + 300)];
    expect(computeAccessAt(log, { client: 'web' }, T)).toEqual({ at: T, party: { client: 'web' }, grants: [grantAt('g1', { accessTokens: [tokenAt('j2', T - 50, T + 300)] })] });
  });

  it('a code replay revokes the tokens of the first redemption from its instant on', () => {
    const log = [key('k1', 0), code('g1', T - 120, T - 60), redeemed('g1', T - 100), token('g1', 'j1', T - 100, T + 300), grantRevoked('g1', 'code_replay', T - 10)];
    expect(computeAccessAt(log, { user: 'alice' }, T).grants).toEqual([]);
    expect(computeAccessAt(log, { user: 'alice' }, T - 11).grants).toEqual([grantAt('g1', { accessTokens: [tokenAt('j1', T - 100, T + 300)] })]);
    // Before the redemption the code was pending.
    expect(computeAccessAt(log, { user: 'alice' }, T - 101).grants).toEqual([grantAt('g1', { pendingCode: { issuedAt: T - 120, expiresAt: T - 60 } })]);
  });

  it('refresh reuse: the family is void from the detection, and with the grant revocation the tokens too', () => {
    const log = [key('k1', 0), family('g1', 'f1', T - 1000, T + 5000, T - 500), rotated('g1', 'f1', 1, T - 600, T + 400), reuse('g1', 'f1', T - 5), token('g1', 'j1', T - 600, T + 300)];
    expect(computeAccessAt(log, { user: 'alice' }, T).grants).toEqual([grantAt('g1', { accessTokens: [tokenAt('j1', T - 600, T + 300)] })]);
    expect(computeAccessAt([...log, grantRevoked('g1', 'refresh_token_reuse', T - 5)], { user: 'alice' }, T).grants).toEqual([]);
  });

  it('idle expiry follows the latest rotation at or before T; expiry exactly at the idle deadline ends the family', () => {
    const log = [family('g1', 'f1', T - 1000, T + 5000, T - 500), rotated('g1', 'f1', 1, T - 600, T), rotated('g1', 'f1', 2, T + 10, T + 900)];
    expect(computeAccessAt(log, { user: 'alice' }, T).grants).toEqual([]);
    expect(computeAccessAt(log, { user: 'alice' }, T - 1).grants).toEqual([
      grantAt('g1', { refreshFamilies: [{ familyId: 'f1', scope: 'api:read offline_access', generation: 1, issuedAt: T - 1000, expiresAt: T + 5000, idleExpiresAt: T }] }),
    ]);
    // Before the first rotation, generation 0 and its idle deadline.
    expect(computeAccessAt(log, { user: 'alice' }, T - 700).grants).toEqual([
      grantAt('g1', { refreshFamilies: [{ familyId: 'f1', scope: 'api:read offline_access', generation: 0, issuedAt: T - 1000, expiresAt: T + 5000, idleExpiresAt: T - 500 }] }),
    ]);
    // Absolute expiry exactly at T + 5000.
    expect(computeAccessAt(log, { user: 'alice' }, T + 5000).grants).toEqual([]);
  });

  it('a signing key revoked at or before T voids the tokens it signed (the key active at their issuance), not its successor’s', () => {
    const log = [key('k1', 0), key('k2', T - 200), token('g1', 'j1', T - 300, T + 300), token('g1', 'j2', T - 200, T + 300), keyRevoked('k1', T)];
    expect(computeAccessAt(log, { user: 'alice' }, T).grants).toEqual([grantAt('g1', { accessTokens: [tokenAt('j2', T - 200, T + 300, 'k2')] })]);
    expect(computeAccessAt(log, { user: 'alice' }, T - 1).grants).toEqual([grantAt('g1', { accessTokens: [tokenAt('j1', T - 300, T + 300, 'k1'), tokenAt('j2', T - 200, T + 300, 'k2')] })]);
  });

  it('is independent of the order of the events, filters by user or client, and a revocation read first still counts', () => {
    const log = [key('k1', 0), token('g1', 'j1', T - 100, T + 300), token('g2', 'j2', T - 100, T + 300, 'bob'), token('g3', 'j3', T - 100, T + 300, 'svc', 'svc'), grantRevoked('g2', 'admin_request', T + 100)];
    const reversed = [...log].reverse();
    expect(computeAccessAt(reversed, { user: 'alice' }, T)).toEqual(computeAccessAt(log, { user: 'alice' }, T));
    expect(computeAccessAt(reversed, { client: 'web' }, T).grants.map((grant) => grant.grantId)).toEqual(['g1', 'g2']);
    expect(computeAccessAt(reversed, { client: 'web' }, T + 100).grants.map((grant) => grant.grantId)).toEqual(['g1']);
    expect(computeAccessAt(reversed, { client: 'svc' }, T).grants).toEqual([{ ...grantAt('g3', { accessTokens: [tokenAt('j3', T - 100, T + 300)] }), clientId: 'svc', subject: 'svc' }]);
  });

  it('a redelivered event changes nothing', () => {
    const issued = token('g1', 'j1', T - 100, T + 300);
    expect(computeAccessAt([key('k1', 0), issued, issued], { user: 'alice' }, T)).toEqual(computeAccessAt([key('k1', 0), issued], { user: 'alice' }, T));
  });
});
