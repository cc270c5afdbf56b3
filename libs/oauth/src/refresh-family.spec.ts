import type { DomainEvent } from '@authz/contracts';
import { sha256Hash } from './hash';
import { decideRefresh, evolveRefreshFamily, type RefreshFamilyState } from './refresh-family';

const T0 = 1_767_225_600; // seconds
const hash = (name: string) => sha256Hash(name);

const issued: DomainEvent = {
  type: 'oauth.refresh_token.issued.v1',
  subject: 'grant-1',
  data: {
    familyId: 'family-1',
    grantId: 'grant-1',
    grantType: 'authorization_code',
    clientId: 'web-app',
    sub: 'alice',
    scope: 'openid api:read',
    audience: ['https://api.example.org'],
    authTime: T0 - 5,
    generation: 0,
    tokenHash: hash('rt0'),
    issuedAt: T0,
    expiresAt: T0 + 86_400,
    idleExpiresAt: T0 + 3600,
  },
};
const rotated = (generation: number, parent: string, child: string, at: number): DomainEvent => ({
  type: 'oauth.refresh_token.rotated.v1',
  subject: 'grant-1',
  data: { familyId: 'family-1', grantId: 'grant-1', clientId: 'web-app', parentTokenHash: hash(parent), generation, tokenHash: hash(child), rotatedAt: at, idleExpiresAt: at + 3600 },
});
const revoked: DomainEvent = {
  type: 'oauth.grant.revoked.v1',
  subject: 'grant-1',
  data: { grantId: 'grant-1', clientId: 'web-app', subject: 'alice', reason: 'refresh_token_reuse', revokedAt: T0 + 100 },
};

const fold = (events: DomainEvent[]) => events.reduce<RefreshFamilyState | null>(evolveRefreshFamily, null)!;

describe('evolveRefreshFamily (the family is what its events say)', () => {
  it('opens, rotates and revokes a family', () => {
    expect(fold([issued])).toStrictEqual({
      familyId: 'family-1',
      grantId: 'grant-1',
      clientId: 'web-app',
      subject: 'alice',
      scopes: ['openid', 'api:read'],
      audience: ['https://api.example.org'],
      authTime: T0 - 5,
      generation: 0,
      currentTokenHash: hash('rt0'),
      createdAt: T0 * 1000,
      expiresAt: (T0 + 86_400) * 1000,
      idleExpiresAt: (T0 + 3600) * 1000,
    });
    expect(fold([issued, rotated(1, 'rt0', 'rt1', T0 + 10), rotated(2, 'rt1', 'rt2', T0 + 20)])).toMatchObject({
      generation: 2,
      currentTokenHash: hash('rt2'),
      idleExpiresAt: (T0 + 20 + 3600) * 1000,
    });
    expect(fold([issued, rotated(1, 'rt0', 'rt1', T0 + 10), revoked]).revokedAt).toBe((T0 + 100) * 1000);
  });

  it('ignores events of other families and grants, and keeps the first revocation', () => {
    const other = { ...revoked, data: { ...revoked.data, grantId: 'grant-2', revokedAt: T0 + 1 } } as DomainEvent;
    const later = { ...revoked, data: { ...revoked.data, revokedAt: T0 + 500 } } as DomainEvent;
    expect(fold([issued, other])).toStrictEqual(fold([issued]));
    expect(fold([issued, revoked, later]).revokedAt).toBe((T0 + 100) * 1000);
  });
});

describe('decideRefresh (RFC 9700 §4.14.2)', () => {
  const family = fold([issued, rotated(1, 'rt0', 'rt1', T0 + 10)]);
  const now = (T0 + 30) * 1000;
  const context = { clientId: 'web-app', now };

  it('rotates the current token', () => {
    expect(decideRefresh(family, { tokenHash: hash('rt1'), generation: 1 }, context)).toEqual({ kind: 'rotate' });
  });

  it('answers the same child to a retry of the parent within the grace window, reuse after it', () => {
    const grace = { parentTokenHash: hash('rt0'), until: now + 1 };
    expect(decideRefresh(family, { tokenHash: hash('rt0'), generation: 0 }, { ...context, grace })).toEqual({ kind: 'grace_retry' });
    expect(decideRefresh(family, { tokenHash: hash('rt0'), generation: 0 }, { ...context, now: now + 1, grace })).toEqual({ kind: 'reuse_detected' });
  });

  it('detects reuse of a rotated token without a grace window', () => {
    expect(decideRefresh(family, { tokenHash: hash('rt0'), generation: 0 }, context)).toEqual({ kind: 'reuse_detected' });
  });

  it('refuses a revoked family, another client, an expired family, an idle one, and a token it does not know', () => {
    const current = { tokenHash: hash('rt1'), generation: 1 };
    expect(decideRefresh({ ...family, revokedAt: now - 1 }, current, context)).toEqual({ kind: 'refused', reason: 'revoked' });
    expect(decideRefresh({ ...family, revokedAt: now - 1 }, { tokenHash: hash('rt0'), generation: 0 }, context)).toEqual({ kind: 'refused', reason: 'revoked' });
    expect(decideRefresh(family, current, { ...context, clientId: 'spa' })).toEqual({ kind: 'refused', reason: 'client_mismatch' });
    expect(decideRefresh(family, current, { ...context, now: family.expiresAt })).toEqual({ kind: 'refused', reason: 'expired' });
    expect(decideRefresh(family, current, { ...context, now: family.idleExpiresAt })).toEqual({ kind: 'refused', reason: 'expired' });
    expect(decideRefresh(family, { tokenHash: hash('rt9'), generation: 1 }, context)).toEqual({ kind: 'refused', reason: 'unknown' });
  });
});
