import type { StoredSigningKey } from '@authz/ports';
import { nextActivationAfter, pendingAnnouncements, planManualRotation, planRevocation, planRotation, publishedKeysAt, type RotationPolicy, signingKeyAt } from './key-schedule';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000);
/** Hourly rotation, 5 minute JWKS cache, a pass a minute, retired keys kept 15 minutes. */
const POLICY: RotationPolicy = { alg: 'ES256', rotationIntervalMs: 3_600_000, jwksMaxAgeMs: 300_000, schedulerIntervalMs: 60_000, retentionMs: 900_000 };

function key(kid: string, overrides: Partial<StoredSigningKey> = {}): StoredSigningKey {
  return {
    kid,
    alg: 'ES256',
    status: 'active',
    publicJwk: { kid },
    encryptedPrivateJwk: 'sealed',
    createdAt: at(0),
    publishedAt: at(0),
    activatesAt: at(0),
    retiredAt: null,
    unpublishAt: null,
    revokedAt: null,
    announced: 'active',
    ...overrides,
  };
}

describe('planRotation', () => {
  it('creates the first key active at once when there is none', () => {
    expect(planRotation([], at(0), POLICY)).toEqual({ create: { status: 'active', activatesAt: at(0) }, updates: [] });
  });

  it('does nothing while the active key is not due (interval minus one cache lifetime minus one pass)', () => {
    expect(planRotation([key('k1')], at(3600 - 360 - 1), POLICY)).toEqual({ updates: [] });
  });

  it('creates a pending key to activate at the end of the interval once due', () => {
    expect(planRotation([key('k1')], at(3600 - 360), POLICY)).toEqual({ create: { status: 'pending', activatesAt: at(3600) }, updates: [] });
  });

  it('activates later than the end of the interval when the pass comes late: never before one cache lifetime from now', () => {
    expect(planRotation([key('k1')], at(5000), POLICY)).toEqual({ create: { status: 'pending', activatesAt: at(5300) }, updates: [] });
  });

  it('rotates an active key of another algorithm at the next pass', () => {
    expect(planRotation([key('k1', { alg: 'RS256' })], at(10), POLICY)).toEqual({ create: { status: 'pending', activatesAt: at(310) }, updates: [] });
  });

  it('waits while a pending key is not due, and activates it once due, retiring the active key at its activation instant', () => {
    const keys = [key('k1'), key('k2', { status: 'pending', createdAt: at(3240), publishedAt: at(3240), activatesAt: at(3600), announced: 'pending' })];

    expect(planRotation(keys, at(3599), POLICY)).toEqual({ updates: [] });
    expect(planRotation(keys, at(3630), POLICY)).toEqual({
      updates: [
        { kid: 'k1', changes: { status: 'retired', retiredAt: at(3600), unpublishAt: at(4500) } },
        { kid: 'k2', changes: { status: 'active' } },
      ],
    });
  });

  it('does not activate a pending key that was never announced, even past its activation time', () => {
    const keys = [key('k1'), key('k2', { status: 'pending', publishedAt: null, activatesAt: at(3600), announced: null })];
    expect(planRotation(keys, at(4000), POLICY)).toEqual({ updates: [] });
  });

  it('with no key able to sign, activates the pending key at once', () => {
    const keys = [key('k1', { status: 'revoked', revokedAt: at(10) }), key('k2', { status: 'pending', activatesAt: at(300) })];
    expect(planRotation(keys, at(20), POLICY)).toEqual({ updates: [{ kid: 'k2', changes: { status: 'active', activatesAt: at(20) } }] });
  });

  it('ignores retired and revoked keys when deciding', () => {
    const keys = [key('old', { status: 'retired', retiredAt: at(-10), unpublishAt: at(890) }), key('gone', { status: 'revoked' }), key('k1', { activatesAt: at(0) })];
    expect(planRotation(keys, at(100), POLICY)).toEqual({ updates: [] });
  });
});

describe('planRevocation', () => {
  it('revokes the active key and activates the pending key as its replacement', () => {
    const keys = [key('k1'), key('k2', { status: 'pending', activatesAt: at(3600) })];
    expect(planRevocation(keys, 'k1', at(100))).toEqual({
      updates: [
        { kid: 'k1', changes: { status: 'revoked', revokedAt: at(100) } },
        { kid: 'k2', changes: { status: 'active', activatesAt: at(100) } },
      ],
    });
  });

  it('revokes the only key and creates a replacement active at once', () => {
    expect(planRevocation([key('k1')], 'k1', at(100))).toEqual({ create: { status: 'active', activatesAt: at(100) }, updates: [{ kid: 'k1', changes: { status: 'revoked', revokedAt: at(100) } }] });
  });

  it('revokes a pending or retired key without touching the key in use', () => {
    const keys = [key('old', { status: 'retired', retiredAt: at(0), unpublishAt: at(900) }), key('k1'), key('k2', { status: 'pending', activatesAt: at(3600) })];
    expect(planRevocation(keys, 'k2', at(100))).toEqual({ updates: [{ kid: 'k2', changes: { status: 'revoked', revokedAt: at(100) } }] });
    expect(planRevocation(keys, 'old', at(100))).toEqual({ updates: [{ kid: 'old', changes: { status: 'revoked', revokedAt: at(100) } }] });
  });

  it('refuses an unknown kid and a key revoked already', () => {
    expect(() => planRevocation([key('k1')], 'nope', at(0))).toThrow('no signing key nope');
    expect(() => planRevocation([key('k1', { status: 'revoked' })], 'k1', at(0))).toThrow('signing key k1 is revoked already');
  });
});

describe('planManualRotation', () => {
  it('creates a pending key signing one cache lifetime from now, unless one is pending', () => {
    expect(planManualRotation([key('k1')], at(100), POLICY)).toEqual({ create: { status: 'pending', activatesAt: at(400) }, updates: [] });
    expect(planManualRotation([key('k1'), key('k2', { status: 'pending' })], at(100), POLICY)).toEqual({ updates: [] });
  });
});

describe('signingKeyAt, nextActivationAfter, publishedKeysAt', () => {
  const keys = [
    key('retired', { status: 'retired', activatesAt: at(-3600), retiredAt: at(0), unpublishAt: at(900) }),
    key('k1', { activatesAt: at(0) }),
    key('k2', { status: 'pending', activatesAt: at(3600), announced: 'pending' }),
    key('unannounced', { status: 'pending', publishedAt: null, activatesAt: at(100), announced: null }),
    key('revoked', { status: 'revoked', activatesAt: at(50), revokedAt: at(60) }),
  ];

  it('signs with the latest announced key whose activation time has come', () => {
    expect(signingKeyAt(keys, at(3599))?.kid).toBe('k1');
    expect(signingKeyAt(keys, at(3600))?.kid).toBe('k2');
    expect(signingKeyAt([], at(0))).toBeUndefined();
  });

  it('knows when to look again: the next announced activation', () => {
    expect(nextActivationAfter(keys, at(10))).toBe(at(3600).getTime());
    expect(nextActivationAfter(keys, at(3600))).toBe(Number.POSITIVE_INFINITY);
  });

  it('publishes the key in use first, then the next one, then retired keys until unpublishAt; never unannounced or revoked keys', () => {
    expect(publishedKeysAt(keys, at(10)).map((k) => k.kid)).toEqual(['k1', 'k2', 'retired']);
    expect(publishedKeysAt(keys, at(900)).map((k) => k.kid)).toEqual(['k1', 'k2']);
    expect(publishedKeysAt(keys, at(3600)).map((k) => k.kid)).toEqual(['k2', 'k1']);
  });
});

describe('pendingAnnouncements (the outbox)', () => {
  it.each<[string, Partial<StoredSigningKey>, string[]]>([
    ['a new pending key', { status: 'pending', announced: null, activatesAt: at(300) }, ['pending']],
    ['a first key created active', { status: 'active', announced: null }, ['pending', 'active']],
    ['an announced pending key that became active', { status: 'active', announced: 'pending' }, ['active']],
    ['an active key that retired', { status: 'retired', announced: 'active', retiredAt: at(10), unpublishAt: at(910) }, ['retired']],
    ['a key that activated and retired between two passes', { status: 'retired', announced: 'pending', retiredAt: at(10), unpublishAt: at(910) }, ['active', 'retired']],
    ['an active key revoked', { status: 'revoked', announced: 'active', revokedAt: at(10) }, ['revoked']],
    ['a pending key revoked before activation', { status: 'revoked', announced: 'pending', activatesAt: at(300), revokedAt: at(10) }, ['revoked']],
    ['a key revoked before it was ever announced', { status: 'revoked', announced: null, revokedAt: at(10) }, []],
    ['a key whose state is announced', { status: 'active', announced: 'active' }, []],
  ])('%s owes %j', (_case, overrides, owed) => {
    expect(pendingAnnouncements(key('k', overrides))).toEqual(owed);
  });
});
