import { EVENT_DEFINITIONS } from './registry';
import { FAST_CHECKS } from './fast-checks';

const VALID = {
  jti: 'jti-1',
  grantId: 'grant-1',
  grantType: 'client_credentials',
  clientId: 'demo-service',
  sub: 'demo-service',
  scope: 'api:read api:write',
  audience: ['https://api.example.org'],
  issuedAt: 1_767_225_600,
  expiresAt: 1_767_225_900,
  tokenHash: `sha256:${'A'.repeat(43)}`,
};

/** Values of every kind, the wrong ones for most fields. */
const VALUES: unknown[] = [
  undefined,
  null,
  '',
  'x',
  'sha256:short',
  `sha256:${'A'.repeat(43)}`,
  `sha256:${'A'.repeat(42)}=`,
  `sha512:${'A'.repeat(43)}`,
  'implicit',
  'password',
  0,
  -1,
  1.5,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  1_767_225_600,
  true,
  [],
  [''],
  ['a', ''],
  ['a', 5],
  ['a', 'b'],
  ['a', , 'b'],
  {},
  new Date(0),
  Object.create(null),
];

describe('FAST_CHECKS agree with the zod schemas', () => {
  const check = FAST_CHECKS['oauth.access_token.issued.v1']!;
  const schema = EVENT_DEFINITIONS['oauth.access_token.issued.v1'].data;
  const agree = (candidate: unknown) => expect({ candidate, fast: check(candidate) }).toEqual({ candidate, fast: schema.safeParse(candidate).success });

  it('on valid payloads (several grant types, audiences and scopes)', () => {
    for (const grantType of ['authorization_code', 'refresh_token', 'client_credentials', 'password']) {
      agree({ ...VALID, grantType });
    }
    agree({ ...VALID, audience: ['a', 'b', 'c'], scope: '' });
    agree(Object.assign(Object.create(null), VALID));
    expect(check(VALID)).toBe(true);
  });

  it('on every single-field mutation, a missing field, an extra field, and non-objects', () => {
    for (const field of Object.keys(VALID)) {
      for (const value of VALUES) agree({ ...VALID, [field]: value });
      const { [field]: _removed, ...without } = VALID as Record<string, unknown>;
      agree(without);
    }
    agree({ ...VALID, accessToken: 'eyJ...' });
    agree({ ...VALID, extra: undefined });
    for (const value of VALUES) agree(value);
    agree([VALID]);
    agree(Object.assign(Object.create({ inherited: true }), VALID));
  });
});
