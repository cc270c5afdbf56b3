import { RevocationSet } from './revocation-set';

describe('RevocationSet', () => {
  it('revokes a token by jti and every token of a revoked grant', () => {
    const set = new RevocationSet();
    set.revokeToken('jti-1', 1_000);
    set.revokeGrant('grant-1', 2_000);
    expect(set.isRevoked({ jti: 'jti-1', grant_id: 'grant-9' })).toBe(true);
    expect(set.isRevoked({ jti: 'jti-2', grant_id: 'grant-1' })).toBe(true);
    expect(set.isRevoked({ jti: 'jti-2', grant_id: 'grant-2' })).toBe(false);
    expect(set.isRevoked({ jti: 'jti-2' })).toBe(false);
    expect(set.isGrantRevoked('grant-1')).toBe(true);
    expect(set.isGrantRevoked('grant-2')).toBe(false);
  });

  it('forgets an entry once the tokens it covers have expired, and keeps the later deadline of two', () => {
    const set = new RevocationSet();
    set.revokeToken('jti-1', 1_000);
    set.revokeGrant('grant-1', 2_000);
    set.revokeGrant('grant-1', 1_500);
    expect(set.sweep(999)).toBe(0);
    expect(set.sweep(1_000)).toBe(1);
    expect(set.size).toStrictEqual({ grants: 1, tokens: 0 });
    expect(set.isRevoked({ jti: 'jti-1' })).toBe(false);
    expect(set.sweep(1_999)).toBe(0);
    expect(set.isGrantRevoked('grant-1')).toBe(true);
    expect(set.sweep(2_000)).toBe(1);
    expect(set.size).toStrictEqual({ grants: 0, tokens: 0 });
  });
});
