import { ACCESS_TOKEN_JWT_TYPE, activeIntrospection, buildAccessTokenClaims, INACTIVE, randomIdentifier } from './access-token';

const input = {
  issuer: 'https://auth.example.org',
  clientId: 'billing',
  subject: 'billing',
  scope: 'invoices:read reports',
  issuedAt: 1_700_000_000,
  ttlSeconds: 300,
  jti: 'Jx6vS2mQ0cS3gk0c1uJf7w',
  grantId: 'grant-7',
};

describe('buildAccessTokenClaims (RFC 9068 §2.2)', () => {
  it('uses a string aud for a single audience (RFC 7519 §4.1.3) and exp = iat + ttl', () => {
    expect(buildAccessTokenClaims({ ...input, audience: ['https://api.example.org'] })).toStrictEqual({
      iss: 'https://auth.example.org',
      exp: 1_700_000_300,
      aud: 'https://api.example.org',
      sub: 'billing',
      client_id: 'billing',
      iat: 1_700_000_000,
      jti: 'Jx6vS2mQ0cS3gk0c1uJf7w',
      scope: 'invoices:read reports',
      grant_id: 'grant-7',
    });
  });

  it('uses an array aud, a copy of the input, for several audiences', () => {
    const audience = ['https://api.example.org', 'https://reports.example.org'];
    const claims = buildAccessTokenClaims({ ...input, audience, ttlSeconds: 86_400 });

    expect(claims).toStrictEqual({
      iss: 'https://auth.example.org',
      exp: 1_700_086_400,
      aud: ['https://api.example.org', 'https://reports.example.org'],
      sub: 'billing',
      client_id: 'billing',
      iat: 1_700_000_000,
      jti: 'Jx6vS2mQ0cS3gk0c1uJf7w',
      scope: 'invoices:read reports',
      grant_id: 'grant-7',
    });
    expect(claims.aud).not.toBe(audience);
  });

  it('names the RFC 9068 JWT type', () => {
    expect(ACCESS_TOKEN_JWT_TYPE).toBe('at+jwt');
  });
});

describe('activeIntrospection (RFC 7662 §2.2)', () => {
  it('answers every claim but the grant id with active true and token_type Bearer', () => {
    const claims = buildAccessTokenClaims({ ...input, audience: ['https://api.example.org', 'https://reports.example.org'] });

    expect(activeIntrospection(claims)).toStrictEqual({
      active: true,
      scope: 'invoices:read reports',
      client_id: 'billing',
      sub: 'billing',
      aud: ['https://api.example.org', 'https://reports.example.org'],
      iss: 'https://auth.example.org',
      exp: 1_700_000_300,
      iat: 1_700_000_000,
      jti: 'Jx6vS2mQ0cS3gk0c1uJf7w',
      token_type: 'Bearer',
    });
  });

  it('answers an inactive token with active false only, frozen', () => {
    expect(INACTIVE).toStrictEqual({ active: false });
    expect(Object.isFrozen(INACTIVE)).toBe(true);
  });
});

describe('randomIdentifier', () => {
  it('is 16 random bytes in base64url (22 characters), different each time', () => {
    const identifiers = Array.from({ length: 100 }, () => randomIdentifier());

    for (const identifier of identifiers) {
      expect(identifier).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(Buffer.from(identifier, 'base64url')).toHaveLength(16);
    }
    expect(new Set(identifiers).size).toBe(100);
  });

  it('stays distinct across refills of its random pool (1000 identifiers: four 4 KiB pools)', () => {
    const identifiers = Array.from({ length: 1000 }, () => randomIdentifier());
    expect(new Set(identifiers).size).toBe(1000);
    expect(identifiers.every((identifier) => /^[A-Za-z0-9_-]{22}$/.test(identifier))).toBe(true);
  });
});
