import { createPublicKey, generateKeyPairSync, sign, verify } from 'node:crypto';
import { compactVerify, decodeProtectedHeader, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '@authz/contracts';
import { createJwsSigner, derToP1363, generateSigningKeyPair } from './jws-signer';

const NOW = 1_767_225_600;
const CLAIMS = {
  iss: 'https://issuer.test',
  exp: NOW + 300,
  aud: ['https://api.example.org', 'https://reports.example.org'],
  sub: 'alice',
  client_id: 'demo-service',
  iat: NOW,
  jti: 'jti-0001',
  scope: 'api:read api:write',
  auth_time: NOW - 60,
};

const PUBLIC_MEMBERS: Record<SigningAlgorithm, string[]> = {
  ES256: ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'],
  EdDSA: ['alg', 'crv', 'kid', 'kty', 'use', 'x'],
  RS256: ['alg', 'e', 'kid', 'kty', 'n', 'use'],
  PS256: ['alg', 'e', 'kid', 'kty', 'n', 'use'],
};

describe.each(SIGNING_ALGORITHMS.map((alg) => [alg]))('the synchronous JWS signer with %s', (alg) => {
  let pair: Awaited<ReturnType<typeof generateSigningKeyPair>>;

  beforeAll(async () => {
    pair = await generateSigningKeyPair(alg, `kid-${alg}`);
  });

  it('generates a public JWK with kid, alg and use and no private member, and a private JWK with them', () => {
    expect(Object.keys(pair.publicJwk).sort()).toEqual(PUBLIC_MEMBERS[alg]);
    expect(pair.publicJwk).toMatchObject({ kid: `kid-${alg}`, alg, use: 'sig' });
    expect(pair.privateJwk).toMatchObject({ kid: `kid-${alg}`, alg, d: expect.any(String) });
  });

  it('signs a JWT that jose verifies with the public JWK (header, claims and signature)', async () => {
    const token = createJwsSigner({ kid: `kid-${alg}`, alg, privateJwk: pair.privateJwk }).sign(CLAIMS);

    expect(token).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);
    expect(decodeProtectedHeader(token)).toStrictEqual({ alg, typ: 'at+jwt', kid: `kid-${alg}` });
    const { payload, protectedHeader } = await jwtVerify(token, await importJWK(pair.publicJwk as JWK, alg), {
      algorithms: [alg],
      typ: 'at+jwt',
      currentDate: new Date(NOW * 1000),
    });
    expect(payload).toStrictEqual(CLAIMS);
    expect(protectedHeader).toStrictEqual({ alg, typ: 'at+jwt', kid: `kid-${alg}` });
  });

  it('produces the same header and payload bytes as jose SignJWT (only the signature differs)', async () => {
    const ours = createJwsSigner({ kid: `kid-${alg}`, alg, privateJwk: pair.privateJwk }).sign(CLAIMS);
    const theirs = await new SignJWT({ ...CLAIMS }).setProtectedHeader({ alg, typ: 'at+jwt', kid: `kid-${alg}` }).sign(await importJWK(pair.privateJwk as JWK, alg));

    expect(ours.split('.').slice(0, 2)).toEqual(theirs.split('.').slice(0, 2));
    // RS256 and EdDSA are deterministic: the whole token is the same.
    if (alg === 'RS256' || alg === 'EdDSA') expect(ours).toBe(theirs);
  });

  it('signs each token independently (a tampered payload fails to verify)', async () => {
    const signer = createJwsSigner({ kid: `kid-${alg}`, alg, privateJwk: pair.privateJwk });
    const [header, , signature] = signer.sign(CLAIMS).split('.');
    const forged = `${header}.${Buffer.from(JSON.stringify({ ...CLAIMS, scope: 'admin' })).toString('base64url')}.${signature}`;

    await expect(compactVerify(forged, createPublicKey({ key: pair.publicJwk, format: 'jwk' }))).rejects.toThrow('signature verification failed');
  });

  it('refuses a key that does not fit the algorithm', async () => {
    const other = await generateSigningKeyPair(alg === 'ES256' ? 'EdDSA' : 'ES256', 'x');
    expect(() => createJwsSigner({ kid: 'x', alg, privateJwk: other.privateJwk })).toThrow(`the key does not fit ${alg}`);
  });
});

it('ES256 signatures are 64 bytes R || S (RFC 7518 §3.4), not DER', async () => {
  const pair = await generateSigningKeyPair('ES256', 'k');
  const token = createJwsSigner({ kid: 'k', alg: 'ES256', privateJwk: pair.privateJwk }).sign(CLAIMS);
  expect(Buffer.from(token.split('.')[2]!, 'base64url')).toHaveLength(64);
});

describe('derToP1363', () => {
  it('agrees with node:crypto ieee-p1363 encoding on many signatures (short r and s included)', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    // An r or s below 2^248 is a shorter INTEGER (under 32 bytes once its sign byte is dropped): about one
    // signature in 128. Signed until 10 such have gone through the padding path (at least 2000 in all),
    // rather than a fixed count, which missed them all now and then.
    const integerLengths = (der: Buffer): [number, number] => {
      const rLength = der[3]!;
      const sLength = der[5 + rLength]!;
      const unsigned = (offset: number, length: number) => (der[offset] === 0 ? length - 1 : length);
      return [unsigned(4, rLength), unsigned(6 + rLength, sLength)];
    };
    let short = 0;
    let signed = 0;
    while ((signed < 2000 || short < 10) && signed < 100_000) {
      const data = Buffer.from(`message ${signed}`);
      const der = sign('sha256', data, privateKey);
      const raw = derToP1363(der, 32);
      if (integerLengths(der).some((length) => length < 32)) short += 1;
      expect(raw).toHaveLength(64);
      expect(verify('sha256', data, { key: publicKey, dsaEncoding: 'ieee-p1363' }, raw)).toBe(true);
      signed += 1;
    }
    expect(short).toBeGreaterThanOrEqual(10);
  });

  it('refuses bytes that are not a DER ECDSA signature', () => {
    expect(() => derToP1363(Buffer.from([0x30, 0x06, 0x05, 0x01, 0x01, 0x02, 0x01, 0x01]), 32)).toThrow('malformed ECDSA signature');
    expect(() => derToP1363(Buffer.concat([Buffer.from([0x30, 0x46, 0x02, 0x21, 0x01]), Buffer.alloc(32), Buffer.from([0x02, 0x01, 0x01])]), 32)).toThrow('malformed ECDSA signature');
  });
});
